//! How a failed command reports why.

/// The error and its causes on one line, `outer: inner: root`, each cause
/// once: many errors already end their message with their source's, which
/// a plain walk down the chain would print a second time.
pub fn error_chain(error: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}: {source}")]
    struct Repeats {
        path: &'static str,
        source: std::io::Error,
    }

    #[test]
    fn each_cause_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let error = anyhow::Error::new(Repeats {
            path: "x.yaml",
            source: io,
        })
        .context("loading the configuration");
        assert_eq!(
            error_chain(&error),
            "loading the configuration: cannot read x.yaml: No such file or directory"
        );
    }

    #[test]
    fn distinct_causes_are_all_kept() {
        let error = anyhow::anyhow!("Address already in use").context("binding 127.0.0.1:4317");
        assert_eq!(
            error_chain(&error),
            "binding 127.0.0.1:4317: Address already in use"
        );
    }
}

//! Environment variables: `${NAME}` expansion and secret overrides.
//!
//! Expansion happens on parsed string values, not on the raw text, so a
//! `${...}` in a comment is inert and an expanded value can never inject YAML.

use super::{Config, Secret};

/// Overrides `receivers.auth.bearer_token`.
pub const ENV_AUTH_TOKEN: &str = "RESHIMU_AUTH_TOKEN";
/// Overrides `clickhouse.url`.
pub const ENV_CLICKHOUSE_URL: &str = "CLICKHOUSE_URL";
/// Overrides `clickhouse.user`.
pub const ENV_CLICKHOUSE_USER: &str = "CLICKHOUSE_USER";
/// Overrides `clickhouse.password`.
pub const ENV_CLICKHOUSE_PASSWORD: &str = "CLICKHOUSE_PASSWORD";

/// A `${NAME}` whose variable is unset.
pub(super) struct Missing {
    pub key: String,
    pub var: String,
}

/// Replaces `${NAME}` in every string value; `$${` stays a literal `${`.
pub(super) fn expand(
    value: &mut serde_yaml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Missing> {
    walk(value, &mut String::new(), env)
}

fn walk(
    value: &mut serde_yaml::Value,
    path: &mut String,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Missing> {
    match value {
        serde_yaml::Value::String(s) if s.contains("${") => {
            *s = expand_str(s, env).map_err(|var| Missing {
                key: path.clone(),
                var,
            })?;
        }
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k.as_str().unwrap_or("?"));
                walk(v, path, env)?;
                path.truncate(len);
            }
        }
        serde_yaml::Value::Sequence(seq) => {
            for (i, v) in seq.iter_mut().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                walk(v, path, env)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// Expands one string; returns the name of the first unset variable on failure.
fn expand_str(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(after) = tail.strip_prefix("$${") {
            out.push_str("${");
            rest = after;
        } else if let Some(after) = tail.strip_prefix("${") {
            let Some(end) = after.find('}') else {
                // An unterminated reference is kept literally rather than guessed at.
                out.push_str(tail);
                return Ok(out);
            };
            let name = &after[..end];
            // `${env:NAME}` is the OpenTelemetry Collector's spelling; accept it too.
            let name = name.strip_prefix("env:").unwrap_or(name);
            out.push_str(&env(name).ok_or_else(|| name.to_owned())?);
            rest = &after[end + 1..];
        } else {
            out.push('$');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Applies the secret overrides; a set-but-empty variable counts as unset.
pub(super) fn apply_overrides(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) {
    let get = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(token) = get(ENV_AUTH_TOKEN) {
        config.receivers.auth.bearer_token = Secret::new(token);
    }
    if let Some(url) = get(ENV_CLICKHOUSE_URL) {
        config.clickhouse.url = url;
    }
    if let Some(user) = get(ENV_CLICKHOUSE_USER) {
        config.clickhouse.user = user;
    }
    if let Some(password) = get(ENV_CLICKHOUSE_PASSWORD) {
        config.clickhouse.password = Secret::new(password);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOST").then(|| "ch.local".to_owned())
    }

    #[test]
    fn expands_references_and_escapes() {
        assert_eq!(
            expand_str("http://${HOST}:8123", &env).unwrap(),
            "http://ch.local:8123"
        );
        assert_eq!(expand_str("${env:HOST}", &env).unwrap(), "ch.local");
        assert_eq!(expand_str("a $${HOST} b", &env).unwrap(), "a ${HOST} b");
        assert_eq!(expand_str("cost $5", &env).unwrap(), "cost $5");
        assert_eq!(expand_str("${HOST", &env).unwrap(), "${HOST");
    }

    #[test]
    fn unset_variable_is_named() {
        assert_eq!(expand_str("x${NOPE}", &env).unwrap_err(), "NOPE");
    }
}

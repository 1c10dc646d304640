use std::collections::BTreeMap;
use std::time::Duration;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::from_yaml_str(text, "<test>", &no_env)
}

const EXAMPLE: &str = include_str!("../../../reshimu-collector.example.yaml");

#[test]
fn empty_file_is_all_defaults() {
    assert_eq!(parse("").unwrap(), Config::default());
    assert_eq!(parse("# only a comment\n").unwrap(), Config::default());
    assert_eq!(parse("{}").unwrap(), Config::default());
}

#[test]
fn example_file_states_the_defaults() {
    assert_eq!(parse(EXAMPLE).unwrap(), Config::default());
}

/// Every key of the Rust structs must be documented in the example file.
#[test]
fn example_file_has_every_key() {
    fn keys(value: &serde_yaml::Value, prefix: &str, out: &mut Vec<String>) {
        if let serde_yaml::Value::Mapping(map) = value {
            for (k, v) in map {
                let key = format!("{prefix}{}", k.as_str().unwrap());
                out.push(key.clone());
                keys(v, &format!("{key}."), out);
            }
        }
    }
    let mut expected = Vec::new();
    keys(
        &serde_yaml::to_value(Config::default()).unwrap(),
        "",
        &mut expected,
    );
    let mut documented = Vec::new();
    keys(&serde_yaml::from_str(EXAMPLE).unwrap(), "", &mut documented);
    let missing: Vec<_> = expected
        .iter()
        .filter(|k| !documented.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "keys missing from the example: {missing:?}"
    );
    assert!(expected.len() > 40, "walked only {} keys", expected.len());
}

#[test]
fn unknown_key_is_rejected_with_its_path() {
    let err = parse("receivers:\n  http:\n    endpont: 1.2.3.4:1\n").unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "receivers.http.endpont"),
        "{msg}"
    );
    assert!(msg.contains("endpont"), "{msg}");
}

#[test]
fn wrong_type_names_the_key() {
    let err = parse("lineage:\n  wait: forever\n").unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "lineage.wait"),
        "{err}"
    );
}

#[test]
fn partial_sections_keep_other_defaults() {
    let c = parse("receivers:\n  grpc:\n    enabled: false\nlineage:\n  wait: 250ms\n").unwrap();
    assert!(!c.receivers.grpc.enabled);
    assert_eq!(c.receivers.grpc.endpoint, "127.0.0.1:4317");
    assert_eq!(c.lineage.wait, Duration::from_millis(250));
    assert_eq!(c.lineage.max_intents, LineageConfig::default().max_intents);
}

#[test]
fn environment_overrides_secrets() {
    let vars: BTreeMap<&str, &str> = [
        ("RESHIMU_AUTH_TOKEN", "tok"),
        ("CLICKHOUSE_URL", "http://ch:8123"),
        ("CLICKHOUSE_USER", "writer"),
        ("CLICKHOUSE_PASSWORD", "pw"),
    ]
    .into();
    let env = |k: &str| vars.get(k).map(|v| v.to_string());
    let c = Config::from_yaml_str("clickhouse:\n  user: other\n", "<test>", &env).unwrap();
    assert_eq!(c.receivers.auth.bearer_token.expose(), "tok");
    assert_eq!(c.clickhouse.url, "http://ch:8123");
    assert_eq!(c.clickhouse.user, "writer");
    assert_eq!(c.clickhouse.password.expose(), "pw");
    assert!(
        !format!("{c:?}").contains("pw\""),
        "Debug must not print secrets"
    );
}

#[test]
fn env_references_expand_in_values() {
    let env = |k: &str| (k == "CH_HOST").then(|| "db.internal".to_owned());
    let c = Config::from_yaml_str(
        "clickhouse:\n  url: http://${CH_HOST}:8123 # ${NOT_EXPANDED_IN_COMMENTS}\n",
        "<test>",
        &env,
    )
    .unwrap();
    assert_eq!(c.clickhouse.url, "http://db.internal:8123");
    let err = Config::from_yaml_str("forward:\n  endpoint: ${NOPE}\n", "<test>", &env).unwrap_err();
    assert!(
        matches!(&err, ConfigError::MissingEnv { key, var, .. } if key == "forward.endpoint" && var == "NOPE"),
        "{err}"
    );
}

#[test]
fn tls_needs_both_files() {
    let err = parse("receivers:\n  tls:\n    cert_file: /x.pem\n").unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "receivers.tls"),
        "{err}"
    );
}

#[test]
fn queue_section_maps_to_queue_limits() {
    let c = parse(
        "receivers:\n  max_request_bytes: 99\nqueue:\n  max_requests: 7\n  max_bytes: 99\n  retry_after: 3s\n",
    )
    .unwrap();
    let limits = c.queue.limits();
    assert_eq!(limits.max_requests, 7);
    assert_eq!(limits.max_bytes, 99);
    assert_eq!(limits.retry_after, Duration::from_secs(3));
}

#[test]
fn memory_bounds_must_hold_the_largest_request() {
    let err = parse("queue:\n  max_bytes: 1000\n").unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, .. } if key == "queue.max_bytes"),
        "{err}"
    );
    let err = parse("memory_limit: 33554432\n").unwrap_err();
    assert!(
        matches!(&err, ConfigError::Invalid { key, message, .. }
            if key == "memory_limit" && message.contains("max_request_bytes")),
        "{err}"
    );
    let ok = parse("memory_limit: 33554432\nreceivers:\n  max_request_bytes: 1048576\n").unwrap();
    assert_eq!(ok.memory_limit, 32 * 1024 * 1024);
    assert_eq!(Config::default().memory_limit, 256 * 1024 * 1024);
    assert_eq!(Config::default().shutdown_timeout, Duration::from_secs(10));
}

#[test]
fn load_reads_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, "telemetry:\n  log:\n    format: json\n").unwrap();
    let c = Config::load(Some(&path)).unwrap();
    assert_eq!(c.telemetry.log.format, LogFormat::Json);
    let missing = dir.path().join("absent.yaml");
    assert!(matches!(
        Config::load(Some(&missing)),
        Err(ConfigError::Read { .. })
    ));
}

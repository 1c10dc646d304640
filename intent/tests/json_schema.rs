//! schemas/intent.schema.json and `IntentSpec::validate` must describe the same spec.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failed assertion

use reshimu_intent::IntentSpec;
use reshimu_intent::guard::{MAX_GUARD_LINE_CHARS, MAX_GUARDS};
use reshimu_intent::spec::MAX_BULLET_CHARS;
use serde_json::{Value, json};
use std::path::PathBuf;

fn schema() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/intent.schema.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn validator() -> jsonschema::Validator {
    jsonschema::draft202012::new(&schema()).unwrap()
}

/// What the Rust side says about a JSON document: `None` when serde refuses
/// the shape, else whether `validate()` accepts it.
fn rust_accepts(doc: &Value) -> bool {
    match serde_json::from_value::<IntentSpec>(doc.clone()) {
        Ok(spec) => spec.validate().is_ok(),
        Err(_) => false,
    }
}

fn seed() -> Value {
    json!({
        "objective": "Audit the inactive customer accounts and prepare a summary",
        "scope": "inactive = last_login older than 90 days; customers table only; read access",
        "constraints": "no writes; no recommendations; do not contact customers",
        "guards": ["deny sql write", "deny message send", "define inactive = last_login > 90 days"]
    })
}

fn with(field: &str, value: Value) -> Value {
    let mut doc = seed();
    doc[field] = value;
    doc
}

#[test]
fn the_schema_is_valid_draft_2020_12() {
    let schema = schema();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(jsonschema::meta::is_valid(&schema));
}

#[test]
fn fields_required_and_limits_match_the_rust_type() {
    let schema = schema();
    let mut properties: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    properties.sort_unstable();
    // The Rust struct's fields, read back from its own serialization.
    let rust_fields = serde_json::to_value(IntentSpec::default()).unwrap();
    let mut rust_fields: Vec<&str> = rust_fields
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    rust_fields.sort_unstable();
    assert_eq!(properties, rust_fields);
    assert_eq!(schema["additionalProperties"], false);

    // `guards` has a serde default; the three bullets do not.
    let mut required: Vec<&str> = schema["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    required.sort_unstable();
    assert_eq!(required, ["constraints", "objective", "scope"]);
    let without_guards = json!({"objective": "o", "scope": "", "constraints": ""});
    assert!(serde_json::from_value::<IntentSpec>(without_guards).is_ok());
    for field in ["objective", "scope", "constraints"] {
        let mut doc = seed();
        doc.as_object_mut().unwrap().remove(field);
        assert!(
            serde_json::from_value::<IntentSpec>(doc).is_err(),
            "{field} is required by serde"
        );
    }

    for field in ["objective", "scope", "constraints"] {
        assert_eq!(
            schema["properties"][field]["maxLength"],
            json!(MAX_BULLET_CHARS),
            "{field}"
        );
    }
    let guards = &schema["properties"]["guards"];
    assert_eq!(guards["maxItems"], json!(MAX_GUARDS));
    assert_eq!(guards["items"]["maxLength"], json!(MAX_GUARD_LINE_CHARS));
}

#[test]
fn sample_specs_are_judged_alike() {
    let long_bullet = "x".repeat(MAX_BULLET_CHARS + 1);
    let at_limit = "é".repeat(MAX_BULLET_CHARS);
    let long_guard = format!("define x = {}", "y".repeat(MAX_GUARD_LINE_CHARS));
    let max_guard = format!("define x = {}", "é".repeat(MAX_GUARD_LINE_CHARS - 11));
    let samples: Vec<(&str, Value, bool)> = vec![
        ("seed", seed(), true),
        (
            "no guards key",
            json!({"objective": "o", "scope": "s", "constraints": "c"}),
            true,
        ),
        (
            "empty scope and constraints",
            json!({"objective": "o", "scope": "", "constraints": ""}),
            true,
        ),
        ("multi-line bullets", with("scope", json!("a\r\n\tb")), true),
        ("bullet at the limit", with("scope", json!(at_limit)), true),
        (
            "guard at the limit",
            with("guards", json!([max_guard])),
            true,
        ),
        (
            "64 guards",
            with("guards", json!(vec!["deny sql write"; MAX_GUARDS])),
            true,
        ),
        (
            "comments and blanks",
            with("guards", json!(["# audit", "", "  ", "deny http write"])),
            true,
        ),
        (
            "all rule kinds",
            with(
                "guards",
                json!([
                    "deny tool send_* delete_?",
                    "ALLOW TOOL sql_query\tsearch",
                    "deny sql write",
                    "Deny Http Write",
                    "deny message send",
                    "define _t-1 = a = b # c",
                    "define refund\twindow  = 30 days"
                ]),
            ),
            true,
        ),
        ("empty objective", with("objective", json!("")), false),
        (
            "blank objective",
            with("objective", json!(" \n\u{3000}")),
            false,
        ),
        ("blank scope", with("scope", json!("\t")), false),
        (
            "long objective",
            with("objective", json!(long_bullet)),
            false,
        ),
        (
            "long constraints",
            with("constraints", json!(long_bullet)),
            false,
        ),
        ("escape in scope", with("scope", json!("a\u{1b}b")), false),
        (
            "C1 control in constraints",
            with("constraints", json!("a\u{85}b")),
            false,
        ),
        ("objective not a string", with("objective", json!(7)), false),
        (
            "guards not an array",
            with("guards", json!("deny sql write")),
            false,
        ),
        ("guard not a string", with("guards", json!([1])), false),
        (
            "65 guards",
            with("guards", json!(vec!["deny sql write"; MAX_GUARDS + 1])),
            false,
        ),
        ("long guard", with("guards", json!([long_guard])), false),
        (
            "unknown guard",
            with("guards", json!(["forbid sql write"])),
            false,
        ),
        (
            "deny sql read",
            with("guards", json!(["deny sql read"])),
            false,
        ),
        (
            "deny tool without glob",
            with("guards", json!(["deny tool"])),
            false,
        ),
        (
            "trailing word",
            with("guards", json!(["deny message send now"])),
            false,
        ),
        (
            "five-word term",
            with("guards", json!(["define a b c d e = x"])),
            false,
        ),
        (
            "term word starting with a digit",
            with("guards", json!(["define refund 2nd = x"])),
            false,
        ),
        (
            "empty definition",
            with("guards", json!(["define x = "])),
            false,
        ),
        (
            "newline in guard",
            with("guards", json!(["deny sql write\ndeny http write"])),
            false,
        ),
        ("unknown property", with("owner", json!("me")), false),
    ];
    let validator = validator();
    for (name, doc, valid) in samples {
        assert_eq!(validator.is_valid(&doc), valid, "schema on {name}");
        assert_eq!(rust_accepts(&doc), valid, "validate() on {name}");
    }
}

#[test]
fn a_term_defined_twice_is_the_one_documented_difference() {
    let doc = with("guards", json!(["define x = 1", "define X = 2"]));
    assert!(validator().is_valid(&doc));
    assert!(!rust_accepts(&doc));
    assert!(
        schema()["description"]
            .as_str()
            .unwrap()
            .contains("defined twice")
    );
}

/// Guard lines built from grammar fragments, joined in several ways: the
/// schema's pattern and the hand-written parser must agree on every one.
#[test]
fn generated_guard_lines_are_judged_alike() {
    const WORDS: &[&str] = &[
        "deny", "DENY", "allow", "Define", "tool", "sql", "http", "message", "write", "send",
        "read", "writes", "sends", "tools", "send_*", "?", "=", "x=", "=y", "inactive", "a b",
        "9d", "#", "é", "", "\u{a0}", "\u{7}", "\t",
    ];
    const JOINS: &[&str] = &[" ", "\t", "  ", ""];
    let validator = validator();
    let mut checked = 0;
    let mut accepted = 0;
    for (i, a) in WORDS.iter().enumerate() {
        for (j, b) in WORDS.iter().enumerate() {
            for (k, c) in WORDS.iter().enumerate() {
                let join = JOINS[(i + 2 * j + 3 * k) % JOINS.len()];
                let edge = if (i + j + k) % 5 == 0 { " " } else { "" };
                let line = format!("{edge}{a}{join}{b}{join}{c}{edge}");
                let doc = with("guards", json!([line]));
                let by_schema = validator.is_valid(&doc);
                let by_rust = rust_accepts(&doc);
                assert_eq!(
                    by_schema, by_rust,
                    "line {line:?}: schema {by_schema}, validate() {by_rust}"
                );
                checked += 1;
                accepted += usize::from(by_rust);
            }
        }
    }
    // The generator must exercise both outcomes, or the comparison proves nothing.
    assert!(
        accepted > 100 && checked - accepted > 100,
        "accepted {accepted} of {checked}"
    );
}

#[test]
fn sql_verb_guards_agree() {
    for (line, ok) in [
        ("deny sql update delete", true),
        ("DENY SQL Update", true),
        ("deny sql update select", false),
        ("deny sql", false),
    ] {
        let doc = with("guards", json!([line]));
        assert_eq!(validator().is_valid(&doc), ok, "schema, {line}");
        assert_eq!(rust_accepts(&doc), ok, "rust, {line}");
    }
}

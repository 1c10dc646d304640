//! Spec <-> span attributes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failed assertion

use reshimu_intent::IntentSpec;
use reshimu_intent::attr;
use reshimu_intent::attributes::{AttrError, AttrValue, AttrValueRef, DeclaredIntent, DigestCheck};

fn seed() -> IntentSpec {
    IntentSpec::reference()
}

fn read<'a>(attrs: &'a [(&'a str, AttrValueRef<'a>)]) -> Result<Option<DeclaredIntent>, AttrError> {
    IntentSpec::from_attributes(attrs.iter().cloned())
}

#[test]
fn to_attributes_emits_the_five_declaration_keys() {
    let attrs = seed().to_attributes();
    let keys: Vec<&str> = attrs.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            attr::INTENT_OBJECTIVE,
            attr::INTENT_SCOPE,
            attr::INTENT_CONSTRAINTS,
            attr::INTENT_GUARDS,
            attr::INTENT_DIGEST
        ]
    );
    assert_eq!(attrs[3].1, AttrValue::StringArray(seed().guards));
    assert_eq!(attrs[4].1, AttrValue::String(seed().digest()));
    // Each value has the type the registry gives its key.
    for (key, value) in &attrs {
        let expected = attr::type_of(key).unwrap();
        let actual = match value {
            AttrValue::String(_) => attr::AttrType::String,
            AttrValue::Int(_) => attr::AttrType::Int,
            AttrValue::Double(_) => attr::AttrType::Double,
            AttrValue::StringArray(_) => attr::AttrType::StringArray,
        };
        assert_eq!(actual, expected, "{key}");
    }
}

#[test]
fn round_trip_through_attributes_keeps_spec_and_digest() {
    for spec in [
        seed(),
        IntentSpec {
            objective: "o".into(),
            ..IntentSpec::default()
        },
    ] {
        let attrs = spec.to_attributes();
        let declared = IntentSpec::from_attributes(attrs.iter().map(|(k, v)| (*k, v.as_ref())))
            .unwrap()
            .unwrap();
        assert_eq!(declared.spec, spec);
        assert_eq!(declared.digest.as_deref(), Some(spec.digest().as_str()));
        assert_eq!(declared.check_digest(), DigestCheck::Matches);
    }
}

#[test]
fn unrelated_attributes_are_skipped_and_no_objective_means_no_declaration() {
    let attrs = [
        (attr::INTENT_ID, AttrValueRef::Str("i-1")),
        (attr::DELEGATION_DEPTH, AttrValueRef::Int(2)),
        ("db.query.text", AttrValueRef::Str("SELECT 1")),
    ];
    assert_eq!(read(&attrs), Ok(None));
    assert_eq!(read(&[]), Ok(None));
}

#[test]
fn missing_optional_fields_read_as_empty() {
    let attrs = [(attr::INTENT_OBJECTIVE, AttrValueRef::Str("o"))];
    let declared = read(&attrs).unwrap().unwrap();
    assert_eq!(
        declared.spec,
        IntentSpec {
            objective: "o".into(),
            ..IntentSpec::default()
        }
    );
    assert_eq!(declared.check_digest(), DigestCheck::Missing);
}

#[test]
fn guards_as_one_newline_separated_string() {
    let attrs = [
        (attr::INTENT_OBJECTIVE, AttrValueRef::Str("o")),
        (
            attr::INTENT_GUARDS,
            AttrValueRef::Str("deny sql write\r\n# note\ndefine x = y\n"),
        ),
    ];
    let declared = read(&attrs).unwrap().unwrap();
    assert_eq!(
        declared.spec.guards,
        ["deny sql write", "# note", "define x = y"]
    );
    assert!(declared.spec.validate().is_ok());
}

#[test]
fn a_partial_declaration_is_an_error() {
    let attrs = [
        (attr::INTENT_ID, AttrValueRef::Str("i-1")),
        (attr::INTENT_SCOPE, AttrValueRef::Str("s")),
        (
            attr::INTENT_GUARDS,
            AttrValueRef::StrArray(vec!["deny sql write"]),
        ),
    ];
    let err = read(&attrs).unwrap_err();
    assert_eq!(
        err,
        AttrError::MissingObjective {
            present: attr::INTENT_SCOPE
        }
    );
    assert_eq!(
        err.to_string(),
        "partial intent declaration: reshimu.intent.scope is set but reshimu.intent.objective is missing"
    );
}

#[test]
fn ill_typed_values_are_errors() {
    let cases = [
        (
            attr::INTENT_OBJECTIVE,
            AttrValueRef::Int(1),
            "string",
            "int",
        ),
        (
            attr::INTENT_SCOPE,
            AttrValueRef::Bool(true),
            "string",
            "boolean",
        ),
        (
            attr::INTENT_CONSTRAINTS,
            AttrValueRef::StrArray(vec!["a"]),
            "string",
            "string[]",
        ),
        (
            attr::INTENT_DIGEST,
            AttrValueRef::Double(1.0),
            "string",
            "double",
        ),
        (
            attr::INTENT_GUARDS,
            AttrValueRef::Other,
            "string[] or a newline-separated string",
            "another type",
        ),
    ];
    for (key, value, expected, found) in cases {
        let attrs = [
            (attr::INTENT_OBJECTIVE, AttrValueRef::Str("o")),
            (key, value),
        ];
        let attrs = if key == attr::INTENT_OBJECTIVE {
            &attrs[1..]
        } else {
            &attrs[..]
        };
        assert_eq!(
            read(attrs),
            Err(AttrError::WrongType {
                key,
                expected,
                found
            }),
            "{key}"
        );
    }
    let err = read(&[(attr::INTENT_OBJECTIVE, AttrValueRef::Int(1))]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "attribute reshimu.intent.objective must be string, found int"
    );
}

#[test]
fn a_repeated_key_is_an_error() {
    for key in [
        attr::INTENT_OBJECTIVE,
        attr::INTENT_SCOPE,
        attr::INTENT_GUARDS,
        attr::INTENT_DIGEST,
    ] {
        let value = if key == attr::INTENT_GUARDS {
            AttrValueRef::StrArray(vec![])
        } else {
            AttrValueRef::Str("v")
        };
        let attrs = [
            (attr::INTENT_OBJECTIVE, AttrValueRef::Str("o")),
            (key, value.clone()),
            (key, value),
        ];
        let attrs = if key == attr::INTENT_OBJECTIVE {
            &attrs[1..]
        } else {
            &attrs[..]
        };
        assert_eq!(read(attrs), Err(AttrError::Duplicate { key }), "{key}");
    }
}

#[test]
fn a_changed_spec_is_a_digest_mismatch() {
    let mut attrs = seed().to_attributes();
    attrs[1].1 = AttrValue::String("inactive = last_login older than 30 days".into());
    let declared = IntentSpec::from_attributes(attrs.iter().map(|(k, v)| (*k, v.as_ref())))
        .unwrap()
        .unwrap();
    match declared.check_digest() {
        DigestCheck::Mismatch {
            declared: d,
            computed,
        } => {
            assert_eq!(d, seed().digest());
            assert_eq!(computed, declared.spec.digest());
            assert_ne!(d, computed);
        }
        other => panic!("expected a mismatch, got {other:?}"),
    }
    // Hex case carries no meaning.
    let upper = DeclaredIntent {
        spec: seed(),
        digest: Some(seed().digest().to_uppercase()),
    };
    assert_eq!(upper.check_digest(), DigestCheck::Matches);
}

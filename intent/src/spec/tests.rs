use super::*;
use crate::guard::GuardSetError;

fn seed() -> IntentSpec {
    IntentSpec::reference()
}

#[test]
fn the_seed_intent_is_valid() {
    let guards = seed().validate().unwrap();
    assert_eq!(guards.guards().len(), 3);
    let parsed = seed().parse().unwrap();
    assert_eq!(parsed.spec(), &seed());
    assert_eq!(parsed.digest(), seed().digest());
    assert_eq!(parsed.guards(), &guards);
    assert_eq!(parsed.into_spec(), seed());
}

#[test]
fn objective_is_required() {
    let spec = IntentSpec {
        objective: String::new(),
        ..seed()
    };
    let err = spec.validate().unwrap_err();
    assert_eq!(
        err,
        SpecError::Empty {
            field: Field::Objective
        }
    );
    assert_eq!(err.to_string(), "objective is empty: it is required");
}

#[test]
fn scope_and_constraints_may_be_empty() {
    let spec = IntentSpec {
        scope: String::new(),
        constraints: String::new(),
        guards: Vec::new(),
        ..seed()
    };
    assert!(spec.validate().unwrap().is_empty());
}

#[test]
fn whitespace_only_bullets_are_rejected() {
    for field in [Field::Objective, Field::Scope, Field::Constraints] {
        let mut spec = seed();
        let blank = " \t\n\u{3000}".to_owned();
        match field {
            Field::Objective => spec.objective = blank,
            Field::Scope => spec.scope = blank,
            Field::Constraints => spec.constraints = blank,
        }
        let err = spec.validate().unwrap_err();
        assert_eq!(err, SpecError::Blank { field });
        assert_eq!(err.to_string(), format!("{field} holds only whitespace"));
    }
}

#[test]
fn over_long_bullets_are_rejected_by_character_count() {
    let at_limit = "é".repeat(MAX_BULLET_CHARS);
    let spec = IntentSpec {
        scope: at_limit.clone(),
        ..seed()
    };
    assert!(
        spec.validate().is_ok(),
        "the limit counts characters, not bytes"
    );

    let spec = IntentSpec {
        constraints: at_limit + "x",
        ..seed()
    };
    let err = spec.validate().unwrap_err();
    assert_eq!(
        err,
        SpecError::TooLong {
            field: Field::Constraints,
            chars: MAX_BULLET_CHARS + 1,
            max: MAX_BULLET_CHARS
        }
    );
    assert_eq!(
        err.to_string(),
        "constraints is 4097 characters long, the limit is 4096"
    );
}

#[test]
fn control_characters_are_rejected_except_tab_and_newlines() {
    let spec = IntentSpec {
        objective: "line one\r\n\tline two".into(),
        ..seed()
    };
    assert!(spec.validate().is_ok());

    for ch in ['\u{0}', '\u{1b}', '\u{7f}', '\u{85}'] {
        let spec = IntentSpec {
            scope: format!("ab{ch}"),
            ..seed()
        };
        assert_eq!(
            spec.validate(),
            Err(SpecError::ControlChar {
                field: Field::Scope,
                position: 3,
                ch
            })
        );
    }
    let err = IntentSpec {
        objective: "a\u{1b}[31m".into(),
        ..seed()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "objective holds control character U+001B at character 2"
    );
}

#[test]
fn guard_errors_name_the_line() {
    let mut spec = seed();
    spec.guards.push("deny everything".into());
    let err = spec.validate().unwrap_err();
    assert!(
        matches!(&err, SpecError::Guards(GuardSetError::Line { line: 4, text, .. }) if text == "deny everything"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "guard line 4 `deny everything`: after `deny` expected `tool <glob>...`, `sql write`, \
         `sql <verb>...`, `http write`, `message send`, `send to <glob>...` or `recipient <glob>...`, found `everything`"
    );
}

#[test]
fn bullets_are_checked_before_guards() {
    let spec = IntentSpec {
        objective: String::new(),
        guards: vec!["nonsense".into()],
        ..seed()
    };
    assert!(matches!(spec.validate(), Err(SpecError::Empty { .. })));
}

#[test]
fn serde_shape_is_the_documented_one() {
    let json = serde_json::to_value(seed()).unwrap();
    // Sorted here: serde_json's map order depends on its `preserve_order` feature.
    let mut keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(keys, ["constraints", "guards", "objective", "scope"]);

    let no_guards: IntentSpec =
        serde_json::from_str(r#"{"objective":"o","scope":"s","constraints":"c"}"#).unwrap();
    assert!(no_guards.guards.is_empty());
    assert!(
        serde_json::from_str::<IntentSpec>(
            r#"{"objective":"o","scope":"s","constraints":"c","extra":1}"#
        )
        .is_err()
    );
}

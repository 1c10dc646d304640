//! The semconv registry (schemas/semconv) and `reshimu_intent::attr` must agree.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failed assertion

use reshimu_intent::attr::{self, AttrType};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

struct Registered {
    ty: String,
    stability: Option<String>,
    brief: Option<String>,
    examples: Option<Value>,
}

fn registry() -> BTreeMap<String, Registered> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/semconv/registry");
    let mut out = BTreeMap::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no registry files in {}", dir.display());
    for file in files {
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for group in doc["groups"].as_sequence().expect("groups: is a list") {
            if group["type"].as_str() != Some("attribute_group") {
                continue;
            }
            for a in group["attributes"]
                .as_sequence()
                .expect("attributes: is a list")
            {
                let id = a["id"].as_str().expect("attribute without id").to_owned();
                assert!(a.get("ref").is_none(), "{id}: use plain ids, not ref");
                let ty = a["type"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: no scalar type"));
                let previous = out.insert(
                    id.clone(),
                    Registered {
                        ty: ty.to_owned(),
                        stability: a["stability"].as_str().map(str::to_owned),
                        brief: a["brief"].as_str().map(str::to_owned),
                        examples: a.get("examples").cloned(),
                    },
                );
                assert!(previous.is_none(), "{id} is registered twice");
            }
        }
    }
    out
}

#[test]
fn every_registered_attribute_has_a_constant_and_vice_versa() {
    let registry = registry();
    let registered: BTreeSet<&str> = registry.keys().map(String::as_str).collect();
    let mut registry_keys = registered.clone();
    let constants: BTreeSet<&str> = attr::ALL.iter().copied().collect();
    assert_eq!(constants.len(), attr::ALL.len(), "attr::ALL has duplicates");

    let missing_in_rust: Vec<_> = registered.difference(&constants).collect();
    let missing_in_yaml: Vec<_> = constants.difference(&registered).collect();
    assert!(
        missing_in_rust.is_empty(),
        "registered but not in attr::ALL: {missing_in_rust:?}"
    );
    assert!(
        missing_in_yaml.is_empty(),
        "in attr::ALL but not registered: {missing_in_yaml:?}"
    );

    registry_keys.retain(|k| k.starts_with("reshimu."));
    assert_eq!(
        registry_keys.len(),
        registered.len(),
        "the registry holds only reshimu.* keys"
    );
}

#[test]
fn types_agree_with_the_registry() {
    let registry = registry();
    let typed: Vec<&str> = attr::TYPES.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        typed,
        attr::ALL,
        "attr::TYPES and attr::ALL list the same keys in the same order"
    );
    for (key, ty) in attr::TYPES {
        let registered = &registry[*key];
        assert_eq!(registered.ty, ty.as_semconv_str(), "type of {key}");
        assert_eq!(attr::type_of(key), Some(*ty));
    }
}

#[test]
fn every_attribute_is_documented_with_typed_examples() {
    for (id, a) in registry() {
        assert_eq!(
            a.stability.as_deref(),
            Some("development"),
            "{id}: stability"
        );
        assert!(
            a.brief.as_deref().is_some_and(|b| !b.trim().is_empty()),
            "{id}: brief"
        );
        let examples = a.examples.unwrap_or_else(|| panic!("{id}: no examples"));
        let examples = examples
            .as_sequence()
            .unwrap_or_else(|| panic!("{id}: examples is a list"));
        assert!(!examples.is_empty(), "{id}: no examples");
        for example in examples {
            let ok = match a.ty.as_str() {
                "string" => example.is_string(),
                "int" => example.as_i64().is_some(),
                "double" => example.is_f64() || example.is_i64(),
                "string[]" => example
                    .as_sequence()
                    .is_some_and(|v| v.iter().all(Value::is_string)),
                other => panic!("{id}: unexpected type {other}"),
            };
            assert!(ok, "{id}: example {example:?} is not a {}", a.ty);
        }
    }
}

#[test]
fn foreign_keys_stay_out_of_the_reshimu_namespace() {
    let registry = registry();
    for key in attr::foreign::ALL {
        assert!(!key.starts_with("reshimu."), "{key} is a reshimu key");
        assert!(!registry.contains_key(*key));
        assert_eq!(attr::type_of(key), None);
    }
    let foreign: BTreeSet<&str> = attr::foreign::ALL.iter().copied().collect();
    assert_eq!(
        foreign.len(),
        attr::foreign::ALL.len(),
        "attr::foreign::ALL has duplicates"
    );
}

#[test]
fn baggage_keys_are_registered() {
    for key in attr::BAGGAGE {
        assert!(attr::ALL.contains(key), "{key}");
    }
    assert_eq!(attr::type_of(attr::DELEGATION_DEPTH), Some(AttrType::Int));
}

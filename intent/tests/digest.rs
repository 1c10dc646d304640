//! The canonical JSON and digest are a cross-language contract. The expected
//! values below were computed with Python's hashlib from the canonical text in
//! the `canonical` module docs, not with this crate.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests: a panic is a failed assertion

use reshimu_intent::IntentSpec;

fn seed() -> IntentSpec {
    IntentSpec::reference()
}

const SEED_CANONICAL: &str = r#"{"constraints":"no writes; no recommendations; do not contact customers","guards":["deny sql write","deny message send","define inactive = last_login > 90 days"],"objective":"Audit the inactive customer accounts and prepare a summary","scope":"inactive = last_login older than 90 days; customers table only; read access"}"#;
const SEED_DIGEST: &str = "808da6166783e173497e7e5cec2d8d5e2494996d511ca6e707f508ccaa297cd7";

#[test]
fn seed_canonical_json_and_digest_are_pinned() {
    assert_eq!(seed().canonical_json(), SEED_CANONICAL);
    assert_eq!(seed().digest(), SEED_DIGEST);
}

#[test]
fn escaping_vector_matches_python() {
    // python3: json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    let spec = IntentSpec {
        objective: "Résumé \"quoted\"\ttab\nnewline \\ back/slash ✓".into(),
        ..IntentSpec::default()
    };
    assert_eq!(
        spec.canonical_json(),
        r#"{"constraints":"","guards":[],"objective":"Résumé \"quoted\"\ttab\nnewline \\ back/slash ✓","scope":""}"#
    );
    assert_eq!(
        spec.digest(),
        "f18fd71e4bd75e0296e4adaf209ba7c7844f4221a0965557218104c23d1b77e0"
    );
}

#[test]
fn the_digest_is_lowercase_hex_sha256() {
    let digest = seed().digest();
    assert_eq!(digest.len(), 64);
    assert!(
        digest
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
}

#[test]
fn every_field_and_guard_order_changes_the_digest() {
    let base = seed().digest();
    let mut changed = Vec::new();
    let mut s = seed();
    s.objective.push('.');
    changed.push(s);
    let mut s = seed();
    s.scope.push('.');
    changed.push(s);
    let mut s = seed();
    s.constraints.push('.');
    changed.push(s);
    let mut s = seed();
    s.guards.swap(0, 1);
    changed.push(s);
    let mut s = seed();
    s.guards.push(String::new());
    changed.push(s);
    for spec in changed {
        assert_ne!(spec.digest(), base, "{spec:?}");
    }
    // Moving text between fields must not collide either.
    let a = IntentSpec {
        objective: "ab".into(),
        scope: String::new(),
        ..seed()
    };
    let b = IntentSpec {
        objective: "a".into(),
        scope: "b".into(),
        ..seed()
    };
    assert_ne!(a.digest(), b.digest());
}

#[test]
fn canonical_json_parses_back_to_the_same_spec() {
    let mut tricky = seed();
    tricky.scope = "tab\t, quote \", nul \u{0}, unit \u{1f}, emoji 😀, ls \u{2028}".into();
    for spec in [seed(), IntentSpec::default(), tricky] {
        let back: IntentSpec = serde_json::from_str(&spec.canonical_json()).unwrap();
        assert_eq!(back, spec);
    }
}

#[test]
fn spec_json_round_trip() {
    let json = serde_json::to_string(&seed()).unwrap();
    let back: IntentSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, seed());
    assert_eq!(back.digest(), SEED_DIGEST);
}

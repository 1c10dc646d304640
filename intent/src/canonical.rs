//! Canonical JSON of a spec and its sha256 digest.
//!
//! The digest lets the collector notice a spec that changed between the agent
//! and the store, so every SDK (Rust, Python, TypeScript) must produce the
//! same bytes. The canonical form is:
//!
//! 1. One JSON object with exactly the keys `constraints`, `guards`,
//!    `objective`, `scope`, in that (sorted) order; `guards` is always present,
//!    an array of the guard lines exactly as given (comments and blank lines
//!    included, nothing trimmed).
//! 2. No whitespace outside strings: `,` and `:` with nothing around them.
//! 3. Strings escaped as JSON requires and no more: `"` as `\"`, `\` as `\\`,
//!    U+0008 `\b`, U+000C `\f`, U+000A `\n`, U+000D `\r`, U+0009 `\t`, other
//!    characters below U+0020 as `\u00XX` with lowercase hex; everything else,
//!    including `/`, DEL and non-ASCII, as raw UTF-8.
//! 4. The digest is the lowercase hex sha256 of those UTF-8 bytes.
//!
//! That is exactly Python's
//! `json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()`
//! and JavaScript's `JSON.stringify` of an object built with the keys in that order.
//!
//! Test vector (the seed intent):
//!
//! ```text
//! {"constraints":"no writes; no recommendations; do not contact customers","guards":["deny sql write","deny message send","define inactive = last_login > 90 days"],"objective":"Audit the inactive customer accounts and prepare a summary","scope":"inactive = last_login older than 90 days; customers table only; read access"}
//! ```
//!
//! sha256: `808da6166783e173497e7e5cec2d8d5e2494996d511ca6e707f508ccaa297cd7`

use crate::IntentSpec;
use sha2::{Digest, Sha256};

impl IntentSpec {
    /// The canonical JSON of the spec (see the [module docs](crate::canonical)).
    ///
    /// ```
    /// use reshimu_intent::IntentSpec;
    /// let spec = IntentSpec { objective: "x".into(), ..IntentSpec::default() };
    /// assert_eq!(spec.canonical_json(), r#"{"constraints":"","guards":[],"objective":"x","scope":""}"#);
    /// ```
    pub fn canonical_json(&self) -> String {
        let payload = self.objective.len()
            + self.scope.len()
            + self.constraints.len()
            + self.guards.iter().map(|g| g.len() + 3).sum::<usize>();
        let mut out = String::with_capacity(payload + 64);
        out.push_str("{\"constraints\":");
        push_json_str(&mut out, &self.constraints);
        out.push_str(",\"guards\":[");
        for (i, guard) in self.guards.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_str(&mut out, guard);
        }
        out.push_str("],\"objective\":");
        push_json_str(&mut out, &self.objective);
        out.push_str(",\"scope\":");
        push_json_str(&mut out, &self.scope);
        out.push('}');
        out
    }

    /// Lowercase hex sha256 of [`canonical_json`](Self::canonical_json): the
    /// value of `reshimu.intent.digest`.
    ///
    /// ```
    /// use reshimu_intent::IntentSpec;
    /// let spec = IntentSpec { objective: "x".into(), ..IntentSpec::default() };
    /// assert_eq!(spec.digest(), "80aff41b8a52eabd85e9d0331af8b632b1479a66e4c449b24e414158209eda99");
    /// ```
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_json().as_bytes()))
    }
}

/// Appends `s` as a JSON string literal, escaped as the module docs specify.
/// Written out rather than delegated to serde_json so that the canonical form
/// is pinned here and cannot change with a dependency upgrade.
fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut plain_from = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            0x08 => "\\b",
            0x0c => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x00..=0x1f => "",
            // Multi-byte UTF-8 sequences never contain bytes below 0x80, so
            // byte-wise scanning never splits a character.
            _ => continue,
        };
        out.push_str(&s[plain_from..i]);
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xf)]));
        } else {
            out.push_str(escape);
        }
        plain_from = i + 1;
    }
    out.push_str(&s[plain_from..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_json_str;

    fn lit(s: &str) -> String {
        let mut out = String::new();
        push_json_str(&mut out, s);
        out
    }

    #[test]
    fn escapes_exactly_what_json_requires() {
        assert_eq!(lit(""), r#""""#);
        assert_eq!(lit("a\"b\\c/d"), r#""a\"b\\c/d""#);
        assert_eq!(lit("\u{8}\u{c}\n\r\t"), r#""\b\f\n\r\t""#);
        assert_eq!(lit("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
        assert_eq!(lit("Résumé ✓ 日本 😀"), "\"Résumé ✓ 日本 😀\"");
    }

    #[test]
    fn agrees_with_serde_json_on_every_char_class() {
        // serde_json is the reference JSON encoder in Rust; the two must agree
        // so that a consumer decoding the canonical JSON gets the spec back.
        let mut all_low: String = (0u8..0x80).map(char::from).collect();
        all_low.push_str("é✓😀\u{2028}\u{feff}");
        for s in [all_low.as_str(), "plain", "\"\"", "\\\\n"] {
            let reference = serde_json::to_string(s).unwrap();
            assert_eq!(lit(s), reference, "for {s:?}");
        }
    }
}

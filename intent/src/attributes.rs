//! Conversion between an [`IntentSpec`] and span attributes, without the
//! OpenTelemetry SDK: callers map their own attribute type to [`AttrValue`] /
//! [`AttrValueRef`] (a handful of lines in the exporter and the collector).
//!
//! A span **declares** an intent when it carries `reshimu.intent.objective`.
//! The declaration is read leniently where SDKs differ and strictly where a
//! mistake would change the meaning:
//!
//! - `scope`, `constraints` and `guards` may be absent (some SDKs drop empty
//!   values); they read as empty.
//! - `guards` may be a string array, or, for SDKs without array attributes, one
//!   string of newline-separated lines (`\n` or `\r\n`). The digest is always
//!   computed over the lines, so such an agent must digest the split list.
//! - Any declaration attribute without an objective, a value of the wrong type,
//!   or the same key twice is an [`AttrError`].
//!
//! The spec is returned as declared, not validated: call
//! [`IntentSpec::validate`] to judge it, and [`DeclaredIntent::check_digest`]
//! to compare the declared digest with the recomputed one.

use crate::{IntentSpec, attr};
use thiserror::Error;

/// An owned attribute value, as produced by [`IntentSpec::to_attributes`].
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    String(String),
    /// A 64-bit signed integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// An array of strings.
    StringArray(Vec<String>),
}

impl AttrValue {
    /// A borrowed view, for [`IntentSpec::from_attributes`].
    pub fn as_ref(&self) -> AttrValueRef<'_> {
        match self {
            AttrValue::String(s) => AttrValueRef::Str(s),
            AttrValue::Int(i) => AttrValueRef::Int(*i),
            AttrValue::Double(d) => AttrValueRef::Double(*d),
            AttrValue::StringArray(v) => {
                AttrValueRef::StrArray(v.iter().map(String::as_str).collect())
            }
        }
    }
}

/// A borrowed attribute value, as read from a span.
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValueRef<'a> {
    /// A string.
    Str(&'a str),
    /// A 64-bit signed integer.
    Int(i64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
    /// An array whose elements are all strings. Building it allocates, which
    /// is fine: only declaring spans (one per intent) carry arrays Reshimu reads.
    StrArray(Vec<&'a str>),
    /// Anything else (bytes, maps, arrays of other or mixed types).
    Other,
}

impl AttrValueRef<'_> {
    /// The type's name, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            AttrValueRef::Str(_) => "string",
            AttrValueRef::Int(_) => "int",
            AttrValueRef::Double(_) => "double",
            AttrValueRef::Bool(_) => "boolean",
            AttrValueRef::StrArray(_) => "string[]",
            AttrValueRef::Other => "another type",
        }
    }
}

/// Why the declaration attributes of a span cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AttrError {
    /// A declaration attribute has the wrong type.
    #[error("attribute {key} must be {expected}, found {found}")]
    WrongType {
        /// The attribute key.
        key: &'static str,
        /// The accepted type(s).
        expected: &'static str,
        /// The type found.
        found: &'static str,
    },
    /// A declaration attribute appears twice.
    #[error("attribute {key} appears more than once")]
    Duplicate {
        /// The attribute key.
        key: &'static str,
    },
    /// Declaration attributes are present but the objective is not.
    #[error(
        "partial intent declaration: {present} is set but {} is missing",
        attr::INTENT_OBJECTIVE
    )]
    MissingObjective {
        /// One of the declaration attributes that is present.
        present: &'static str,
    },
}

/// A spec read from span attributes, with the digest the span declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredIntent {
    /// The spec as declared (not validated).
    pub spec: IntentSpec,
    /// The value of `reshimu.intent.digest`, if the span carried it.
    pub digest: Option<String>,
}

/// The outcome of comparing a declared digest with the recomputed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestCheck {
    /// The declared digest equals the recomputed one.
    Matches,
    /// The span carried no digest.
    Missing,
    /// The spec changed between the agent and here (or the agent's canonical JSON differs).
    Mismatch {
        /// The digest the span carried.
        declared: String,
        /// The digest of the spec as received.
        computed: String,
    },
}

impl DeclaredIntent {
    /// Recomputes the digest of the spec and compares it with the declared one
    /// (case-insensitively, since hex case carries no meaning).
    pub fn check_digest(&self) -> DigestCheck {
        let Some(declared) = &self.digest else {
            return DigestCheck::Missing;
        };
        let computed = self.spec.digest();
        if declared.eq_ignore_ascii_case(&computed) {
            DigestCheck::Matches
        } else {
            DigestCheck::Mismatch {
                declared: declared.clone(),
                computed,
            }
        }
    }
}

impl IntentSpec {
    /// The declaration attributes of the spec: objective, scope, constraints,
    /// guards (always present, possibly empty) and digest.
    ///
    /// ```
    /// use reshimu_intent::{attr, IntentSpec, attributes::AttrValue};
    /// let spec = IntentSpec { objective: "x".into(), ..IntentSpec::default() };
    /// let attrs = spec.to_attributes();
    /// assert_eq!(attrs[0], (attr::INTENT_OBJECTIVE, AttrValue::String("x".into())));
    /// let declared = IntentSpec::from_attributes(attrs.iter().map(|(k, v)| (*k, v.as_ref())))?;
    /// assert_eq!(declared.map(|d| d.spec), Some(spec));
    /// # Ok::<(), reshimu_intent::attributes::AttrError>(())
    /// ```
    pub fn to_attributes(&self) -> Vec<(&'static str, AttrValue)> {
        vec![
            (
                attr::INTENT_OBJECTIVE,
                AttrValue::String(self.objective.clone()),
            ),
            (attr::INTENT_SCOPE, AttrValue::String(self.scope.clone())),
            (
                attr::INTENT_CONSTRAINTS,
                AttrValue::String(self.constraints.clone()),
            ),
            (
                attr::INTENT_GUARDS,
                AttrValue::StringArray(self.guards.clone()),
            ),
            (attr::INTENT_DIGEST, AttrValue::String(self.digest())),
        ]
    }

    /// Reads a declaration from a span's attributes (all of them; keys other
    /// than the five declaration keys are skipped). `Ok(None)` when the span
    /// declares nothing. See the [module docs](crate::attributes) for the rules.
    pub fn from_attributes<'a, I>(attributes: I) -> Result<Option<DeclaredIntent>, AttrError>
    where
        I: IntoIterator<Item = (&'a str, AttrValueRef<'a>)>,
    {
        let mut objective: Option<&str> = None;
        let mut scope: Option<&str> = None;
        let mut constraints: Option<&str> = None;
        let mut guards: Option<Vec<String>> = None;
        let mut digest: Option<&str> = None;
        let mut first_present: Option<&'static str> = None;

        for (key, value) in attributes {
            // Cheap reject: most span attributes are not declaration keys.
            if !key.starts_with("reshimu.intent.") {
                continue;
            }
            let (slot_key, is_new) = match key {
                attr::INTENT_OBJECTIVE => (
                    attr::INTENT_OBJECTIVE,
                    set_str(&mut objective, attr::INTENT_OBJECTIVE, value)?,
                ),
                attr::INTENT_SCOPE => (
                    attr::INTENT_SCOPE,
                    set_str(&mut scope, attr::INTENT_SCOPE, value)?,
                ),
                attr::INTENT_CONSTRAINTS => (
                    attr::INTENT_CONSTRAINTS,
                    set_str(&mut constraints, attr::INTENT_CONSTRAINTS, value)?,
                ),
                attr::INTENT_DIGEST => (
                    attr::INTENT_DIGEST,
                    set_str(&mut digest, attr::INTENT_DIGEST, value)?,
                ),
                attr::INTENT_GUARDS => {
                    let lines = guard_lines(value)?;
                    let is_new = guards.is_none();
                    guards = Some(lines);
                    (attr::INTENT_GUARDS, is_new)
                }
                _ => continue,
            };
            if !is_new {
                return Err(AttrError::Duplicate { key: slot_key });
            }
            first_present.get_or_insert(slot_key);
        }

        let Some(objective) = objective else {
            return match first_present {
                None => Ok(None),
                Some(present) => Err(AttrError::MissingObjective { present }),
            };
        };
        Ok(Some(DeclaredIntent {
            spec: IntentSpec {
                objective: objective.to_owned(),
                scope: scope.unwrap_or_default().to_owned(),
                constraints: constraints.unwrap_or_default().to_owned(),
                guards: guards.unwrap_or_default(),
            },
            digest: digest.map(str::to_owned),
        }))
    }
}

/// Stores a string value; returns whether the slot was empty before.
fn set_str<'a>(
    slot: &mut Option<&'a str>,
    key: &'static str,
    value: AttrValueRef<'a>,
) -> Result<bool, AttrError> {
    let AttrValueRef::Str(s) = value else {
        return Err(AttrError::WrongType {
            key,
            expected: "string",
            found: value.type_name(),
        });
    };
    Ok(slot.replace(s).is_none())
}

fn guard_lines(value: AttrValueRef<'_>) -> Result<Vec<String>, AttrError> {
    match value {
        AttrValueRef::StrArray(lines) => Ok(lines.into_iter().map(str::to_owned).collect()),
        AttrValueRef::Str(text) => Ok(text.lines().map(str::to_owned).collect()),
        other => Err(AttrError::WrongType {
            key: attr::INTENT_GUARDS,
            expected: "string[] or a newline-separated string",
            found: other.type_name(),
        }),
    }
}

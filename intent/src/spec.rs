//! The intent spec: three bullets plus optional guard lines, and its validation.
//!
//! Rules enforced by [`IntentSpec::validate`] (the JSON Schema
//! `schemas/intent.schema.json` states the same rules, except that it cannot
//! see a term defined twice):
//!
//! - `objective` is required: not empty, not only whitespace.
//! - `scope` and `constraints` may be empty (the scorer then has less to go on),
//!   but not whitespace only, which is almost always a templating accident.
//! - Each bullet is at most [`MAX_BULLET_CHARS`] characters and holds no control
//!   characters except tab, line feed and carriage return.
//! - `guards` follow the grammar of [`crate::guard`].
//!
//! Lengths are counted in Unicode scalar values, as JSON Schema's `maxLength`
//! counts them, so both agree on every input.

use crate::guard::{GuardSet, GuardSetError};
use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;

/// Maximum length of `objective`, `scope` or `constraints`, in characters.
pub const MAX_BULLET_CHARS: usize = 4096;

/// A declared intent: what a session (or a delegate) must achieve, within which
/// boundaries, and what must not happen.
///
/// ```
/// use reshimu_intent::IntentSpec;
///
/// let spec = IntentSpec {
///     objective: "Audit the inactive customer accounts and prepare a summary".into(),
///     scope: "inactive = last_login older than 90 days; customers table only; read access".into(),
///     constraints: "no writes; no recommendations; do not contact customers".into(),
///     guards: vec![
///         "deny sql write".into(),
///         "deny message send".into(),
///         "define inactive = last_login > 90 days".into(),
///     ],
/// };
/// let parsed = spec.parse()?;
/// assert!(parsed.guards().denies_sql_write());
/// assert_eq!(
///     parsed.digest(),
///     "808da6166783e173497e7e5cec2d8d5e2494996d511ca6e707f508ccaa297cd7"
/// );
/// # Ok::<(), reshimu_intent::SpecError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentSpec {
    /// What the session must achieve.
    pub objective: String,
    /// Definitions and boundaries.
    pub scope: String,
    /// What must not happen.
    pub constraints: String,
    /// Machine-checkable guard lines, one rule per line (see [`crate::guard`]).
    #[serde(default)]
    pub guards: Vec<String>,
}

/// One of the three bullets of a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// `objective`
    Objective,
    /// `scope`
    Scope,
    /// `constraints`
    Constraints,
}

impl Field {
    /// The field's name in JSON and in the `reshimu.intent.*` attribute.
    pub const fn name(self) -> &'static str {
        match self {
            Field::Objective => "objective",
            Field::Scope => "scope",
            Field::Constraints => "constraints",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a spec is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    /// A required field is empty.
    #[error("{field} is empty: it is required")]
    Empty {
        /// The field.
        field: Field,
    },
    /// A field holds only whitespace.
    #[error("{field} holds only whitespace")]
    Blank {
        /// The field.
        field: Field,
    },
    /// A field is longer than [`MAX_BULLET_CHARS`].
    #[error("{field} is {chars} characters long, the limit is {max}")]
    TooLong {
        /// The field.
        field: Field,
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// A field holds a control character other than tab, LF or CR.
    #[error("{field} holds control character U+{:04X} at character {position}", u32::from(*.ch))]
    ControlChar {
        /// The field.
        field: Field,
        /// 1-based character position.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// The guards do not parse.
    #[error(transparent)]
    Guards(#[from] GuardSetError),
}

impl IntentSpec {
    /// The reference intent of the design (a coordinator auditing inactive
    /// customer accounts), used by demos, examples and tests across the
    /// workspace so that they all judge against the same words.
    ///
    /// ```
    /// let spec = reshimu_intent::spec::IntentSpec::reference();
    /// assert!(spec.validate().is_ok());
    /// ```
    pub fn reference() -> IntentSpec {
        IntentSpec {
            objective: "Audit the inactive customer accounts and prepare a summary".into(),
            scope: "inactive = last_login older than 90 days; customers table only; read access"
                .into(),
            constraints: "no writes; no recommendations; do not contact customers".into(),
            guards: vec![
                "deny sql write".into(),
                "deny message send".into(),
                "define inactive = last_login > 90 days".into(),
            ],
        }
    }

    /// The bullets with their field names, in declaration order.
    pub fn bullets(&self) -> [(Field, &str); 3] {
        [
            (Field::Objective, self.objective.as_str()),
            (Field::Scope, self.scope.as_str()),
            (Field::Constraints, self.constraints.as_str()),
        ]
    }

    /// Checks every rule (see the module docs) and compiles the guards.
    /// Returns the first problem found, bullets before guards.
    pub fn validate(&self) -> Result<GuardSet, SpecError> {
        for (field, text) in self.bullets() {
            check_bullet(field, text)?;
        }
        Ok(GuardSet::parse(&self.guards)?)
    }

    /// Keeps what is usable of a declared spec, for an intent that is already
    /// in force whatever its flaws: the bullets with control characters
    /// removed and cut to [`MAX_BULLET_CHARS`], and every guard line that
    /// parses. Returns the problems found, each naming its field or line.
    /// Fails only when the objective is empty or blank: with no objective
    /// there is nothing to judge against. The digest is the declared spec's.
    ///
    /// ```
    /// use reshimu_intent::IntentSpec;
    /// let spec = IntentSpec {
    ///     objective: "Resolve ticket 4471".into(),
    ///     guards: vec!["deny message send".into(), "limit refunds to 50 USD".into()],
    ///     ..IntentSpec::default()
    /// };
    /// let (parsed, problems) = spec.parse_lenient()?;
    /// assert!(parsed.guards().denies_message_send());
    /// assert_eq!(problems.len(), 1);
    /// # Ok::<(), reshimu_intent::SpecError>(())
    /// ```
    pub fn parse_lenient(self) -> Result<(ParsedIntent, Vec<SpecError>), SpecError> {
        let digest = self.digest();
        let mut problems = Vec::new();
        let mut clean = |field: Field, text: &str| -> String {
            if let Err(e) = check_bullet(field, text) {
                problems.push(e);
            }
            text.chars()
                .filter(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
                .take(MAX_BULLET_CHARS)
                .collect()
        };
        let objective = clean(Field::Objective, &self.objective);
        let scope = clean(Field::Scope, &self.scope);
        let constraints = clean(Field::Constraints, &self.constraints);
        if let Some(fatal) = problems.iter().find(|p| {
            matches!(
                p,
                SpecError::Empty {
                    field: Field::Objective
                } | SpecError::Blank {
                    field: Field::Objective
                }
            )
        }) {
            return Err(fatal.clone());
        }
        let (guards, errors) = GuardSet::parse_lenient(&self.guards);
        problems.extend(errors.into_iter().map(SpecError::Guards));
        let kept: Vec<String> = guards
            .guards_with_lines()
            .filter_map(|(line, _)| self.guards.get(line - 1).cloned())
            .collect();
        let spec = IntentSpec {
            objective,
            scope,
            constraints,
            guards: kept,
        };
        Ok((
            ParsedIntent {
                spec,
                guards,
                digest,
            },
            problems,
        ))
    }

    /// Validates the spec and keeps it with its compiled guards and digest,
    /// the form the scorer works from (built once per intent).
    pub fn parse(self) -> Result<ParsedIntent, SpecError> {
        let guards = self.validate()?;
        let digest = self.digest();
        Ok(ParsedIntent {
            spec: self,
            guards,
            digest,
        })
    }
}

fn check_bullet(field: Field, text: &str) -> Result<(), SpecError> {
    if text.is_empty() {
        return match field {
            Field::Objective => Err(SpecError::Empty { field }),
            Field::Scope | Field::Constraints => Ok(()),
        };
    }
    let mut chars = 0;
    let mut blank = true;
    for (index, ch) in text.chars().enumerate() {
        chars += 1;
        blank &= ch.is_whitespace();
        if ch.is_control() && !matches!(ch, '\t' | '\n' | '\r') {
            return Err(SpecError::ControlChar {
                field,
                position: index + 1,
                ch,
            });
        }
    }
    if chars > MAX_BULLET_CHARS {
        return Err(SpecError::TooLong {
            field,
            chars,
            max: MAX_BULLET_CHARS,
        });
    }
    if blank {
        return Err(SpecError::Blank { field });
    }
    Ok(())
}

/// A validated spec with its compiled guards and its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedIntent {
    spec: IntentSpec,
    guards: GuardSet,
    digest: String,
}

impl ParsedIntent {
    /// The spec as declared.
    pub fn spec(&self) -> &IntentSpec {
        &self.spec
    }

    /// The compiled guards.
    pub fn guards(&self) -> &GuardSet {
        &self.guards
    }

    /// The lowercase hex sha256 of the canonical JSON (see [`IntentSpec::digest`]).
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Gives the spec back.
    pub fn into_spec(self) -> IntentSpec {
        self.spec
    }
}

#[cfg(test)]
mod tests;

//! The guard-line parser.
//!
//! Hand-written on purpose: the grammar is six line shapes, a parser generator
//! or a regex engine would cost more to read than these few functions, and the
//! errors can say exactly which word was wrong and what was expected.

use super::glob::ToolGlob;
use super::{Definition, Guard, MAX_GUARD_LINE_CHARS, MAX_TERM_WORDS};
use thiserror::Error;

/// Why one guard line does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardError {
    /// The line is longer than [`MAX_GUARD_LINE_CHARS`].
    #[error("line is {chars} characters long, the limit is {max}")]
    TooLong {
        /// Length of the line in characters (Unicode scalar values).
        chars: usize,
        /// The limit, [`MAX_GUARD_LINE_CHARS`].
        max: usize,
    },
    /// The line holds a control character other than tab (a guard is one line).
    #[error("control character U+{:04X} at character {position} (a guard is a single line of text)", u32::from(*.ch))]
    ControlChar {
        /// 1-based character position in the line.
        position: usize,
        /// The offending character.
        ch: char,
    },
    /// The first word is not a known keyword.
    #[error("unknown guard `{found}`: expected `deny`, `allow` or `define`")]
    UnknownKeyword {
        /// The first word of the line.
        found: String,
    },
    /// A word is missing or not the one the grammar expects at that point.
    #[error("after `{after}` expected {expected}, found {}", found_text(.found))]
    Expected {
        /// The words already read, in canonical spelling.
        after: &'static str,
        /// What the grammar accepts at this point.
        expected: &'static str,
        /// What was there instead; `None` at the end of the line.
        found: Option<String>,
    },
    /// The term of a `define` is not made of identifier words.
    #[error(
        "invalid term `{term}` in `define`: expected up to {MAX_TERM_WORDS} words of ASCII letters, digits, `_` or `-`, each starting with a letter or `_`"
    )]
    InvalidTerm {
        /// The term as written.
        term: String,
    },
    /// A `define` has nothing after `=`.
    #[error("`define {term} =` has no definition after `=`")]
    EmptyDefinition {
        /// The term being defined.
        term: String,
    },
}

fn found_text(found: &Option<String>) -> String {
    match found {
        Some(word) => format!("`{word}`"),
        None => "end of line".to_owned(),
    }
}

/// Separators between words: space and tab only, so that the JSON Schema
/// pattern and other SDKs can express the same grammar without Unicode tables.
const fn is_sep(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn trim_sep(s: &str) -> &str {
    s.trim_matches(is_sep)
}

/// Splits off the first word; returns `(word, rest)` with `rest` left-trimmed.
fn next_word(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start_matches(is_sep);
    if s.is_empty() {
        return None;
    }
    let end = s.find(is_sep).unwrap_or(s.len());
    Some((&s[..end], s[end..].trim_start_matches(is_sep)))
}

fn expected(after: &'static str, expected: &'static str, found: Option<&str>) -> GuardError {
    GuardError::Expected {
        after,
        expected,
        found: found.map(str::to_owned),
    }
}

/// Parses one line. `Ok(None)` for a blank line or a `#` comment.
pub(super) fn parse_line(line: &str) -> Result<Option<Guard>, GuardError> {
    let chars = line.chars().count();
    if chars > MAX_GUARD_LINE_CHARS {
        return Err(GuardError::TooLong {
            chars,
            max: MAX_GUARD_LINE_CHARS,
        });
    }
    if let Some((index, ch)) = line
        .chars()
        .enumerate()
        .find(|(_, c)| c.is_control() && *c != '\t')
    {
        return Err(GuardError::ControlChar {
            position: index + 1,
            ch,
        });
    }
    let line = trim_sep(line);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let Some((keyword, rest)) = next_word(line) else {
        return Ok(None);
    };
    if keyword.eq_ignore_ascii_case("deny") {
        parse_deny(rest).map(Some)
    } else if keyword.eq_ignore_ascii_case("allow") {
        match next_word(rest) {
            Some((w, globs)) if w.eq_ignore_ascii_case("tool") => {
                parse_globs("allow tool", globs).map(|g| Some(Guard::AllowTool(g)))
            }
            other => Err(expected("allow", "`tool <glob>...`", other.map(|(w, _)| w))),
        }
    } else if keyword.eq_ignore_ascii_case("define") {
        parse_define(rest).map(Some)
    } else {
        Err(GuardError::UnknownKeyword {
            found: keyword.to_owned(),
        })
    }
}

fn parse_deny(rest: &str) -> Result<Guard, GuardError> {
    const TARGETS: &str = "`tool <glob>...`, `sql write`, `sql <verb>...`, `http write`, `message send`, `send to <glob>...` or `recipient <glob>...`";
    let Some((target, rest)) = next_word(rest) else {
        return Err(expected("deny", TARGETS, None));
    };
    let (after, verb, guard) = if target.eq_ignore_ascii_case("tool") {
        return parse_globs("deny tool", rest).map(Guard::DenyTool);
    } else if target.eq_ignore_ascii_case("sql") {
        // `deny sql update delete`: those statements only.
        if let Some(verbs) = sql_verbs(rest) {
            return Ok(Guard::DenySqlVerbs(verbs));
        }
        ("deny sql", "write", Guard::DenySqlWrite)
    } else if target.eq_ignore_ascii_case("http") {
        ("deny http", "write", Guard::DenyHttpWrite)
    } else if target.eq_ignore_ascii_case("send") {
        return match next_word(rest) {
            Some((to, globs)) if to.eq_ignore_ascii_case("to") => {
                parse_recipient_globs("deny send to", globs)
            }
            other => Err(expected(
                "deny send",
                "`to <glob>...`",
                other.map(|(w, _)| w),
            )),
        };
    } else if target.eq_ignore_ascii_case("recipient") || target.eq_ignore_ascii_case("recipients")
    {
        // `deny recipient *@supplier.example`: how people name the same
        // rule when they think of who must not be reached, not of the act.
        return parse_recipient_globs("deny recipient", rest);
    } else if target.eq_ignore_ascii_case("message") {
        // `deny message send to <glob>...`: those recipients only.
        if let Some((send, tail)) = next_word(rest)
            && send.eq_ignore_ascii_case("send")
            && let Some((to, globs)) = next_word(tail)
            && to.eq_ignore_ascii_case("to")
        {
            return parse_recipient_globs("deny message send to", globs);
        }
        ("deny message", "send", Guard::DenyMessageSend)
    } else {
        return Err(expected("deny", TARGETS, Some(target)));
    };
    match next_word(rest) {
        Some((w, tail)) if w.eq_ignore_ascii_case(verb) => match next_word(tail) {
            None => Ok(guard),
            Some((extra, _)) => Err(expected(full_rule(&guard), "end of line", Some(extra))),
        },
        other => Err(expected(
            after,
            match guard {
                Guard::DenySqlWrite => {
                    "`write` or SQL write verbs (`insert`, `update`, `delete`, ...)"
                }
                Guard::DenyHttpWrite => "`write`",
                _ => "`send`",
            },
            other.map(|(w, _)| w),
        )),
    }
}

/// SQL statements that write, as `deny sql <verb>...` names them.
const SQL_WRITE_VERBS: &[&str] = &[
    "insert", "update", "delete", "merge", "upsert", "replace", "alter", "drop", "truncate",
    "create", "grant", "revoke", "rename",
];

/// The verbs of `deny sql <verb>...`, lowercased, when every word is one.
/// Verbs are listed with spaces, or joined by `|`, `,` or `/` the way
/// people write alternatives (`deny sql delete|update`, `deny sql update, delete`).
fn sql_verbs(rest: &str) -> Option<Vec<String>> {
    let verbs: Vec<String> = rest
        .split(|c: char| is_sep(c) || matches!(c, '|' | ',' | '/'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    (!verbs.is_empty() && verbs.iter().all(|v| SQL_WRITE_VERBS.contains(&v.as_str())))
        .then_some(verbs)
}

/// Canonical spelling of the fixed-word rules, for error messages.
fn full_rule(guard: &Guard) -> &'static str {
    match guard {
        Guard::DenySqlWrite => "deny sql write",
        Guard::DenyHttpWrite => "deny http write",
        _ => "deny message send",
    }
}

fn parse_recipient_globs(after: &'static str, rest: &str) -> Result<Guard, GuardError> {
    globs_of(after, rest, "at least one recipient glob").map(Guard::DenySendTo)
}

fn parse_globs(after: &'static str, rest: &str) -> Result<Vec<ToolGlob>, GuardError> {
    globs_of(after, rest, "at least one tool-name glob")
}

/// The globs of the rest of a line; `what` says what is missing when none.
fn globs_of(
    after: &'static str,
    rest: &str,
    what: &'static str,
) -> Result<Vec<ToolGlob>, GuardError> {
    // "allow tool a, b, c": a tool name holds no comma, so one separates
    // globs as a space does.
    let globs: Vec<ToolGlob> = rest
        .split(|c| is_sep(c) || c == ',')
        .filter(|w| !w.is_empty())
        .map(ToolGlob::new)
        .collect();
    if globs.is_empty() {
        return Err(expected(after, what, None));
    }
    Ok(globs)
}

fn parse_define(rest: &str) -> Result<Guard, GuardError> {
    let rest = trim_sep(rest);
    let Some((term, text)) = rest.split_once('=') else {
        return Err(match next_word(rest) {
            None => expected("define", "a term", None),
            Some((_, "")) => expected("define <term>", "`=` followed by the definition", None),
            Some((_, tail)) => expected(
                "define <term>",
                "`=` followed by the definition",
                next_word(tail).map(|(w, _)| w),
            ),
        });
    };
    let term = trim_sep(term);
    if term.is_empty() {
        return Err(expected("define", "a term", Some("=")));
    }
    if !is_term(term) {
        return Err(GuardError::InvalidTerm {
            term: term.to_owned(),
        });
    }
    let text = trim_sep(text);
    if text.is_empty() {
        return Err(GuardError::EmptyDefinition {
            term: term.to_owned(),
        });
    }
    Ok(Guard::Define(Definition::new(term, text)))
}

/// Up to [`MAX_TERM_WORDS`] words of `[A-Za-z_][A-Za-z0-9_-]*` ("refund
/// amount", "inactive"); the rule id joins them with `_`, so it stays
/// whitespace-free and stable.
fn is_term(term: &str) -> bool {
    let mut n = 0;
    let ok = term.split(is_sep).filter(|w| !w.is_empty()).all(|w| {
        n += 1;
        let mut chars = w.chars();
        chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    ok && (1..=MAX_TERM_WORDS).contains(&n)
}

//! Guards: machine-checkable rules that make the bullets of an intent enforceable.
//!
//! # Grammar
//!
//! One rule per line. Keywords are case-insensitive; words are separated by
//! spaces or tabs; leading and trailing spaces and tabs are ignored.
//!
//! | line | meaning |
//! |---|---|
//! | `deny tool <glob> [<glob>...]` | calling a tool whose name matches any glob is a violation |
//! | `allow tool <glob> [<glob>...]` | once any `allow tool` exists, every tool that no allow glob matches is a violation |
//! | `deny sql write` | SQL that writes (INSERT, UPDATE, DELETE, MERGE, ALTER, DROP, TRUNCATE, CREATE, GRANT, ...) is a violation |
//! | `deny http write` | HTTP POST, PUT, PATCH and DELETE are violations |
//! | `deny message send` | sending a message (messaging `send`/`create`, e-mail, chat) is a violation |
//! | `define <term> = <text>` | `<term>` means `<text>`; a span that uses the term, or its defining column, with another value is definition drift |
//! | blank, or starting with `#` | ignored, so guard files can be commented |
//!
//! Globs are described at [`ToolGlob`] (`*`, `?`, case-insensitive). A term is
//! one to [`MAX_TERM_WORDS`] words of ASCII letters, digits, `_` and `-`, each
//! starting with a letter or `_`, compared case-insensitively (`define refund
//! window = 30 days`); the definition text is everything after the
//! first `=`, trimmed. A `#` only starts a comment at the start of a line, so a
//! definition may contain one. A term may be defined once per intent. Deny wins
//! over allow. Any other line is an error, never silently ignored.
//!
//! Limits: at most [`MAX_GUARDS`] lines of at most [`MAX_GUARD_LINE_CHARS`]
//! characters, no control characters other than tab.
//!
//! # Rule ids (contract)
//!
//! Violations are reported as `<rule id>: <evidence>`. These ids are stable:
//! dashboards and alerts match on them.
//!
//! | rule id | raised by |
//! |---|---|
//! | `tool.deny` | `deny tool ...` |
//! | `tool.allow` | a tool outside every `allow tool ...` glob |
//! | `sql.write` | `deny sql write` |
//! | `http.write` | `deny http write` |
//! | `message.send` | `deny message send` |
//! | `define.<term>` | `define <term> = ...`, with the term lowercased and its words joined by `_` (e.g. `define.inactive`, `define.refund_window`) |
//!
//! ```
//! use reshimu_intent::guard::GuardSet;
//!
//! let guards = GuardSet::parse(&[
//!     "deny sql write",
//!     "deny message send",
//!     "define inactive = last_login > 90 days",
//! ])?;
//! assert!(guards.denies_sql_write());
//! assert_eq!(guards.definition("Inactive").map(|d| d.text()), Some("last_login > 90 days"));
//! let ids: Vec<&str> = guards.guards().iter().map(|g| g.rule_id()).collect();
//! assert_eq!(ids, ["sql.write", "message.send", "define.inactive"]);
//! # Ok::<(), reshimu_intent::guard::GuardSetError>(())
//! ```

mod glob;
mod parse;

pub use glob::ToolGlob;
pub use parse::GuardError;

use thiserror::Error;

/// Maximum number of guard lines in one intent (comments and blank lines count).
pub const MAX_GUARDS: usize = 64;
/// Maximum length of one guard line, in characters (Unicode scalar values).
pub const MAX_GUARD_LINE_CHARS: usize = 512;
/// Maximum number of words in a `define` term ("refund window", "high value client").
pub const MAX_TERM_WORDS: usize = 4;

/// The stable rule ids (see the module docs).
pub mod rule {
    /// `deny tool <glob>...`
    pub const TOOL_DENY: &str = "tool.deny";
    /// A tool outside every `allow tool <glob>...`.
    pub const TOOL_ALLOW: &str = "tool.allow";
    /// `deny sql write`
    pub const SQL_WRITE: &str = "sql.write";
    /// `deny http write`
    pub const HTTP_WRITE: &str = "http.write";
    /// `deny message send`
    pub const MESSAGE_SEND: &str = "message.send";
    /// Prefix of `define.<term>`.
    pub const DEFINE_PREFIX: &str = "define.";
}

/// One parsed guard line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Guard {
    /// `deny tool <glob>...`
    DenyTool(Vec<ToolGlob>),
    /// `allow tool <glob>...`
    AllowTool(Vec<ToolGlob>),
    /// `deny sql write`
    DenySqlWrite,
    /// `deny sql <verb>...`: the statements of those verbs only (`deny sql
    /// update delete`), lowercased.
    DenySqlVerbs(Vec<String>),
    /// `deny http write`
    DenyHttpWrite,
    /// `deny message send`
    DenyMessageSend,
    /// `deny message send to <glob>...` (also `deny send to <glob>...` and
    /// `deny recipient <glob>...`):
    /// messages to a recipient or destination matching a glob only
    /// (`#ext-*`, `*@partner.example`), case-insensitively.
    DenySendTo(Vec<ToolGlob>),
    /// `define <term> = <text>`
    Define(Definition),
}

impl Guard {
    /// Parses one guard line; `Ok(None)` for a blank line or a `#` comment.
    ///
    /// ```
    /// use reshimu_intent::guard::Guard;
    /// assert_eq!(Guard::parse_line("DENY SQL WRITE")?, Some(Guard::DenySqlWrite));
    /// assert_eq!(Guard::parse_line("  # read-only audit")?, None);
    /// let err = Guard::parse_line("deny sql read").unwrap_err();
    /// assert_eq!(err.to_string(), "after `deny sql` expected `write` or SQL write verbs (`insert`, `update`, `delete`, ...), found `read`");
    /// # Ok::<(), reshimu_intent::guard::GuardError>(())
    /// ```
    pub fn parse_line(line: &str) -> Result<Option<Guard>, GuardError> {
        parse::parse_line(line)
    }

    /// The stable rule id reported in violations of this guard.
    pub fn rule_id(&self) -> &str {
        match self {
            Guard::DenyTool(_) => rule::TOOL_DENY,
            Guard::AllowTool(_) => rule::TOOL_ALLOW,
            Guard::DenySqlWrite | Guard::DenySqlVerbs(_) => rule::SQL_WRITE,
            Guard::DenyHttpWrite => rule::HTTP_WRITE,
            Guard::DenyMessageSend | Guard::DenySendTo(_) => rule::MESSAGE_SEND,
            Guard::Define(d) => d.rule_id(),
        }
    }
}

/// A `define <term> = <text>` guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// `define.<term>` (words joined by `_`), built once so that
    /// [`Guard::rule_id`] never allocates.
    rule_id: String,
    /// The term, lowercased, words separated by one space.
    term: String,
    text: String,
}

impl Definition {
    fn new(term: &str, text: &str) -> Self {
        let words: Vec<String> = term
            .split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        Definition {
            rule_id: format!("{}{}", rule::DEFINE_PREFIX, words.join("_")),
            term: words.join(" "),
            text: text.to_owned(),
        }
    }

    /// The term, lowercased, words separated by one space.
    pub fn term(&self) -> &str {
        &self.term
    }

    /// The definition text, trimmed, as written.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `define.<term>`.
    pub fn rule_id(&self) -> &str {
        &self.rule_id
    }
}

/// Why a list of guard lines does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GuardSetError {
    /// More than [`MAX_GUARDS`] lines.
    #[error("{count} guard lines, the limit is {max}")]
    TooMany {
        /// Number of lines given.
        count: usize,
        /// The limit, [`MAX_GUARDS`].
        max: usize,
    },
    /// One line does not parse.
    #[error("guard line {line} `{text}`: {source}")]
    Line {
        /// 1-based index of the line.
        line: usize,
        /// The line as given.
        text: String,
        /// Why it does not parse.
        source: GuardError,
    },
    /// A term is defined twice.
    #[error("guard line {line}: term `{term}` is already defined on line {first_line}")]
    DuplicateTerm {
        /// The term, lowercased.
        term: String,
        /// 1-based index of the first definition.
        first_line: usize,
        /// 1-based index of the repeated definition.
        line: usize,
    },
}

/// The compiled guards of one intent: parsed once, then queried per span.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardSet {
    guards: Vec<Guard>,
    /// 1-based source line of each entry of `guards`.
    lines: Vec<usize>,
    denied_tools: Vec<ToolGlob>,
    allowed_tools: Vec<ToolGlob>,
    has_allow: bool,
    deny_sql_write: bool,
    denied_sql_verbs: Vec<String>,
    deny_http_write: bool,
    deny_message_send: bool,
    denied_recipients: Vec<ToolGlob>,
}

/// A tool call that breaks a tool guard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolViolation<'a> {
    /// The tool matches this `deny tool` glob (rule `tool.deny`).
    Denied(&'a ToolGlob),
    /// `allow tool` rules exist and none matches the tool (rule `tool.allow`).
    NotAllowed,
}

impl ToolViolation<'_> {
    /// The stable rule id of this violation.
    pub fn rule_id(&self) -> &'static str {
        match self {
            ToolViolation::Denied(_) => rule::TOOL_DENY,
            ToolViolation::NotAllowed => rule::TOOL_ALLOW,
        }
    }
}

impl GuardSet {
    /// Parses guard lines (blank lines and `#` comments are skipped).
    /// Errors name the 1-based line, its text and the reason.
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Result<GuardSet, GuardSetError> {
        if lines.len() > MAX_GUARDS {
            return Err(GuardSetError::TooMany {
                count: lines.len(),
                max: MAX_GUARDS,
            });
        }
        let mut set = GuardSet::default();
        for (index, text) in lines.iter().enumerate() {
            let text = text.as_ref();
            let line = index + 1;
            let guard = match parse::parse_line(text) {
                Ok(Some(guard)) => guard,
                Ok(None) => continue,
                Err(source) => {
                    return Err(GuardSetError::Line {
                        line,
                        text: text.to_owned(),
                        source,
                    });
                }
            };
            set.add(guard, line)?;
        }
        Ok(set)
    }

    /// Parses what parses: every valid line is kept and enforced, every
    /// invalid one is returned as an error naming its line and reason (the
    /// lines past [`MAX_GUARDS`] as one [`GuardSetError::TooMany`]). For
    /// declared intents, where one bad line must not void the others.
    ///
    /// ```
    /// use reshimu_intent::guard::GuardSet;
    /// let (set, errors) = GuardSet::parse_lenient(&["deny sql write", "require approval", "define refund window = 30 days"]);
    /// assert!(set.denies_sql_write());
    /// assert_eq!(set.definition("refund window").map(|d| d.rule_id()), Some("define.refund_window"));
    /// assert_eq!(errors.len(), 1);
    /// assert!(errors[0].to_string().starts_with("guard line 2 `require approval`: unknown guard"));
    /// ```
    pub fn parse_lenient<S: AsRef<str>>(lines: &[S]) -> (GuardSet, Vec<GuardSetError>) {
        let mut set = GuardSet::default();
        let mut errors = Vec::new();
        for (index, text) in lines.iter().enumerate().take(MAX_GUARDS) {
            let text = text.as_ref();
            let line = index + 1;
            match parse::parse_line(text) {
                Ok(Some(guard)) => {
                    if let Err(e) = set.add(guard, line) {
                        errors.push(e);
                    }
                }
                Ok(None) => {}
                Err(source) => errors.push(GuardSetError::Line {
                    line,
                    text: text.to_owned(),
                    source,
                }),
            }
        }
        if lines.len() > MAX_GUARDS {
            errors.push(GuardSetError::TooMany {
                count: lines.len(),
                max: MAX_GUARDS,
            });
        }
        (set, errors)
    }

    fn add(&mut self, guard: Guard, line: usize) -> Result<(), GuardSetError> {
        match &guard {
            Guard::DenyTool(globs) => self.denied_tools.extend(globs.iter().cloned()),
            Guard::AllowTool(globs) => {
                self.has_allow = true;
                self.allowed_tools.extend(globs.iter().cloned());
            }
            Guard::DenySqlWrite => self.deny_sql_write = true,
            Guard::DenySqlVerbs(verbs) => self.denied_sql_verbs.extend(verbs.iter().cloned()),
            Guard::DenyHttpWrite => self.deny_http_write = true,
            Guard::DenyMessageSend => self.deny_message_send = true,
            Guard::DenySendTo(globs) => self.denied_recipients.extend(globs.iter().cloned()),
            Guard::Define(new) => {
                let earlier = self
                    .definitions_with_lines()
                    .find(|(_, d)| d.term() == new.term());
                if let Some((first_line, _)) = earlier {
                    return Err(GuardSetError::DuplicateTerm {
                        term: new.term().to_owned(),
                        first_line,
                        line,
                    });
                }
            }
        }
        self.guards.push(guard);
        self.lines.push(line);
        Ok(())
    }

    /// The guards in source order, without blank lines and comments.
    pub fn guards(&self) -> &[Guard] {
        &self.guards
    }

    /// The guards with their 1-based source line.
    pub fn guards_with_lines(&self) -> impl Iterator<Item = (usize, &Guard)> {
        self.lines.iter().copied().zip(&self.guards)
    }

    /// Whether there are no guards.
    pub fn is_empty(&self) -> bool {
        self.guards.is_empty()
    }

    /// Whether `deny sql write` is in force.
    pub fn denies_sql_write(&self) -> bool {
        self.deny_sql_write
    }

    /// The guard line that denies a statement of this verb (`UPDATE`):
    /// `deny sql write`, or `deny sql <verbs>` naming it.
    ///
    /// ```
    /// use reshimu_intent::guard::GuardSet;
    /// let set = GuardSet::parse(&["deny sql update delete"]).unwrap();
    /// assert_eq!(set.denies_sql_verb("UPDATE").as_deref(), Some("deny sql update delete"));
    /// assert_eq!(set.denies_sql_verb("INSERT"), None);
    /// ```
    pub fn denies_sql_verb(&self, verb: &str) -> Option<String> {
        if self.deny_sql_write {
            return Some("deny sql write".to_owned());
        }
        self.denied_sql_verbs
            .iter()
            .any(|v| v.eq_ignore_ascii_case(verb))
            .then(|| format!("deny sql {}", self.denied_sql_verbs.join(" ")))
    }

    /// Whether `deny http write` is in force.
    pub fn denies_http_write(&self) -> bool {
        self.deny_http_write
    }

    /// Whether `deny message send` is in force.
    pub fn denies_message_send(&self) -> bool {
        self.deny_message_send
    }

    /// The `deny message send to` glob a recipient or destination of a
    /// message matches, if any.
    ///
    /// ```
    /// use reshimu_intent::guard::GuardSet;
    /// let set = GuardSet::parse(&["deny send to #ext-* *@partner.example"]).unwrap();
    /// assert_eq!(set.denies_send_to("#EXT-sundhedscert").map(|g| g.as_str()), Some("#ext-*"));
    /// assert!(set.denies_send_to("#soc-war-room").is_none());
    /// ```
    pub fn denies_send_to(&self, recipient: &str) -> Option<&ToolGlob> {
        self.denied_recipients.iter().find(|g| g.matches(recipient))
    }

    /// Whether any `deny message send to` rule exists.
    pub fn has_recipient_bans(&self) -> bool {
        !self.denied_recipients.is_empty()
    }

    /// Whether any `allow tool` rule exists (then unlisted tools violate).
    pub fn has_tool_allowlist(&self) -> bool {
        self.has_allow
    }

    /// Checks a tool call by name. Deny wins over allow. Never allocates.
    ///
    /// ```
    /// use reshimu_intent::guard::{GuardSet, ToolViolation};
    /// let guards = GuardSet::parse(&["allow tool sql_* search", "deny tool sql_admin"])?;
    /// assert_eq!(guards.check_tool("sql_query"), None);
    /// assert_eq!(guards.check_tool("send_email"), Some(ToolViolation::NotAllowed));
    /// assert_eq!(guards.check_tool("SQL_ADMIN").map(|v| v.rule_id()), Some("tool.deny"));
    /// # Ok::<(), reshimu_intent::guard::GuardSetError>(())
    /// ```
    pub fn check_tool(&self, tool: &str) -> Option<ToolViolation<'_>> {
        if let Some(glob) = self.denied_tools.iter().find(|g| g.matches(tool)) {
            return Some(ToolViolation::Denied(glob));
        }
        if self.has_allow && !self.allowed_tools.iter().any(|g| g.matches(tool)) {
            return Some(ToolViolation::NotAllowed);
        }
        None
    }

    /// The `define` guards in source order.
    pub fn definitions(&self) -> impl Iterator<Item = &Definition> {
        self.definitions_with_lines().map(|(_, d)| d)
    }

    fn definitions_with_lines(&self) -> impl Iterator<Item = (usize, &Definition)> {
        self.guards_with_lines().filter_map(|(line, g)| match g {
            Guard::Define(d) => Some((line, d)),
            _ => None,
        })
    }

    /// The definition of `term` (case-insensitive), if any.
    pub fn definition(&self, term: &str) -> Option<&Definition> {
        self.definitions()
            .find(|d| d.term().eq_ignore_ascii_case(term))
    }
}

#[cfg(test)]
mod tests;

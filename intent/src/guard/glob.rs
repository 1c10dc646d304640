//! Case-insensitive tool-name globs (`*` and `?`), compiled once per intent.

use std::fmt;

/// One compiled element of a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// A literal character, already case-folded.
    Char(char),
    /// `?`: exactly one character.
    One,
    /// `*`: any run of characters, including none.
    Any,
}

/// A compiled tool-name glob: `*` matches any run of characters (including
/// none), `?` exactly one character, everything else itself, compared
/// case-insensitively. There is no escape and no character class: tool names
/// do not need them, and a smaller language is easier to reproduce in other SDKs.
///
/// Compiling allocates once; [`ToolGlob::matches`] never allocates.
///
/// ```
/// use reshimu_intent::guard::ToolGlob;
/// let glob = ToolGlob::new("send_*");
/// assert!(glob.matches("send_email"));
/// assert!(glob.matches("SEND_SMS"));
/// assert!(!glob.matches("resend_email"));
/// assert!(ToolGlob::new("sql_?").matches("sql_1"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolGlob {
    source: String,
    tokens: Vec<Token>,
}

impl ToolGlob {
    /// Compiles `pattern`. Every string is a valid glob.
    pub fn new(pattern: &str) -> Self {
        let mut tokens: Vec<Token> = Vec::with_capacity(pattern.len());
        for c in pattern.chars() {
            let token = match c {
                '*' => Token::Any,
                '?' => Token::One,
                c => Token::Char(fold(c)),
            };
            // Consecutive stars match the same as one; collapsing keeps the
            // backtracking in `matches` linear in practice.
            if token == Token::Any && tokens.last() == Some(&Token::Any) {
                continue;
            }
            tokens.push(token);
        }
        ToolGlob {
            source: pattern.to_owned(),
            tokens,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `name` matches the whole glob (case-insensitive).
    pub fn matches(&self, name: &str) -> bool {
        let tokens = self.tokens.as_slice();
        let mut t = 0; // index into tokens
        let mut i = 0; // byte index into name
        // After a `*`: the token index following it and the name position it
        // currently stops at. On a mismatch the star swallows one more char.
        let mut backtrack: Option<(usize, usize)> = None;
        while let Some(c) = name[i..].chars().next() {
            let step = match tokens.get(t) {
                Some(Token::Any) => {
                    backtrack = Some((t + 1, i));
                    t += 1;
                    continue;
                }
                Some(Token::One) => true,
                Some(Token::Char(p)) => *p == fold(c),
                None => false,
            };
            if step {
                t += 1;
                i += c.len_utf8();
            } else if let Some((after_star, stop)) = backtrack {
                // `stop <= i < name.len()`, so there is a char to swallow.
                let Some(swallowed) = name[stop..].chars().next().map(char::len_utf8) else {
                    return false;
                };
                backtrack = Some((after_star, stop + swallowed));
                t = after_star;
                i = stop + swallowed;
            } else {
                return false;
            }
        }
        tokens[t..].iter().all(|token| *token == Token::Any)
    }
}

impl fmt::Display for ToolGlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Simple case folding without allocation: characters whose lowercase form is
/// more than one character (rare, e.g. `İ`) are compared as they are.
fn fold(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::ToolGlob;

    fn m(pattern: &str, name: &str) -> bool {
        ToolGlob::new(pattern).matches(name)
    }

    #[test]
    fn literal_matches_whole_name_only() {
        assert!(m("send_email", "send_email"));
        assert!(!m("send_email", "send_email2"));
        assert!(!m("send_email", "send_emai"));
        assert!(!m("send_email", ""));
    }

    #[test]
    fn star_matches_any_run() {
        assert!(m("*", ""));
        assert!(m("*", "anything at all"));
        assert!(m("send_*", "send_"));
        assert!(m("send_*", "send_email"));
        assert!(m("*_email", "send_email"));
        assert!(m("s*d*l", "send_email"));
        assert!(!m("s*d*x", "send_email"));
        assert!(m("a*b*c", "aXbYbZc"));
        assert!(!m("a*b*c", "aXbYbZ"));
        assert!(m("**", "x"));
    }

    #[test]
    fn star_backtracks_over_repeated_prefixes() {
        assert!(m("*aab", "aaaaab"));
        assert!(m("a*ab", "aaab"));
        assert!(!m("*aab", "aaaaba"));
    }

    #[test]
    fn question_mark_is_exactly_one_char() {
        assert!(m("sql_?", "sql_1"));
        assert!(!m("sql_?", "sql_"));
        assert!(!m("sql_?", "sql_12"));
        assert!(m("?", "é"));
        assert!(m("??", "日本"));
    }

    #[test]
    fn case_insensitive_both_ways() {
        assert!(m("Send_*", "SEND_EMAIL"));
        assert!(m("send_*", "Send_Email"));
        assert!(m("ÉCRIRE", "écrire"));
    }

    #[test]
    fn multibyte_names_with_star() {
        assert!(m("*本", "日本"));
        assert!(m("日*", "日本語"));
        assert!(!m("*語x", "日本語"));
    }

    #[test]
    fn display_keeps_the_source() {
        assert_eq!(ToolGlob::new("Send_*").to_string(), "Send_*");
        assert_eq!(ToolGlob::new("a**b").as_str(), "a**b");
    }
}

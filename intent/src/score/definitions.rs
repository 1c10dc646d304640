//! Definitions and boundaries: what a term means (`inactive = last_login older
//! than 90 days`) and which tables are in scope, and how a span departs from them.
//!
//! Sources are `define <term> = <text>` guards (breaking one is a violation of
//! rule `define.<term>`) and the scope bullet's `X = Y`, `X means Y`, `X is
//! defined as Y` clauses and `<name> table only` boundaries (departing from one
//! is drift). A span "uses" a definition when it names the term or its defining
//! column; it drifts when, in the same clause, it compares with another value,
//! or widens the filter with `OR`.

use super::quantity::{Duration, durations};
use super::text::{Lex, MAX_WORD, find_word_ci, is_ident_byte, lexicon, stem_into, words};

/// The value a definition fixes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Value {
    /// A duration, in days.
    Days(f64),
    /// A plain number (amounts, counts).
    Number(f64),
}

/// One definition of a term.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TermDefinition {
    /// The term, lowercased (`inactive`).
    pub term: String,
    /// The definition as written (`last_login older than 90 days`).
    pub text: String,
    /// Identifiers in the definition that look like columns (`last_login`).
    pub columns: Vec<String>,
    /// The value the definition fixes, when it has one.
    pub value: Option<Value>,
    /// The value as written (`90 days`), for explanations.
    pub value_text: String,
    /// `define.<term>` when the definition comes from a guard.
    pub rule: Option<String>,
}

impl TermDefinition {
    pub(crate) fn new(term: &str, text: &str, rule: Option<String>) -> TermDefinition {
        let text = text.trim();
        let columns = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .filter(|w| {
                w.contains('_') && w.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
            })
            .map(|w| w.rsplit('.').next().unwrap_or(w).to_ascii_lowercase())
            .collect();
        let (value, value_text) = match durations(text).next() {
            Some(d) => (Some(Value::Days(d.days)), d.raw.to_owned()),
            None => match plain_numbers(text).next() {
                Some((n, raw)) => (Some(Value::Number(n)), raw.to_owned()),
                None => (None, String::new()),
            },
        };
        let term = term.trim();
        let term = ["a ", "an ", "the "]
            .iter()
            .find_map(|a| {
                (term.len() > a.len() && term[..a.len()].eq_ignore_ascii_case(a))
                    .then(|| &term[a.len()..])
            })
            .unwrap_or(term);
        TermDefinition {
            term: term.trim().to_ascii_lowercase(),
            text: text.to_owned(),
            columns,
            value,
            value_text,
            rule,
        }
    }

    /// Whether a text mentions the term or one of its columns.
    pub(crate) fn is_used_in(&self, text: &str) -> bool {
        find_word_ci(text, &self.term, 0).is_some()
            || self
                .columns
                .iter()
                .any(|c| find_word_ci(text, c, 0).is_some())
    }
}

/// How a span departs from a definition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Departure<'a> {
    /// The term or column is compared with another value.
    Value {
        /// The term or column as found.
        anchor: &'a str,
        /// The value found, as written.
        found: &'a str,
    },
    /// The filter on the defining column is widened with `OR`.
    Widened {
        /// The column.
        anchor: &'a str,
    },
}

/// Finds the first departure of `text` from `def`.
pub(crate) fn departure<'a>(def: &TermDefinition, text: &'a str) -> Option<Departure<'a>> {
    let check = |at: usize, end: usize, is_term: bool| -> Option<Departure<'a>> {
        let found = &text[at..end];
        let (c_start, c_end, or_joined) = clause_around(text, at, end);
        if let Some(value) = def.value
            && let Some(raw) = differing_value(value, &text[c_start..c_end])
        {
            return Some(Departure::Value {
                anchor: found,
                found: raw,
            });
        }
        // Widening only makes sense for a column filter, not for a prose term.
        (or_joined && !is_term).then_some(Departure::Widened { anchor: found })
    };
    if def.term.contains(' ') {
        let mut from = 0;
        while let Some(at) = find_word_ci(text, &def.term, from) {
            from = at + def.term.len();
            if let Some(d) = check(at, from, true) {
                return Some(d);
            }
        }
    }
    // One pass over the words finds the term and every column.
    for (at, w) in words(text) {
        let is_term = w.eq_ignore_ascii_case(&def.term);
        if (is_term || def.columns.iter().any(|c| w.eq_ignore_ascii_case(c)))
            && let Some(d) = check(at, at + w.len(), is_term)
        {
            return Some(d);
        }
    }
    None
}

fn differing_value(value: Value, clause: &str) -> Option<&str> {
    match value {
        Value::Days(days) => durations(clause)
            .find(|d: &Duration<'_>| d.differs_from(days))
            .map(|d| d.raw),
        Value::Number(n) => {
            if durations(clause).next().is_some() {
                return None;
            }
            plain_numbers(clause)
                .find(|(m, _)| (m - n).abs() > n.abs().max(1.0) * 1e-6)
                .map(|(_, raw)| raw)
        }
    }
}

/// Numbers standing alone (not inside identifiers or dates).
fn plain_numbers(text: &str) -> impl Iterator<Item = (f64, &str)> {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() {
            if !b[i].is_ascii_digit() || (i > 0 && (is_ident_byte(b[i - 1]) || b[i - 1] == b'-')) {
                i += 1;
                continue;
            }
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.' || b[i] == b',') {
                i += 1;
            }
            let raw = text[start..i].trim_end_matches(['.', ',']);
            if i < b.len() && (b[i] == b'-' || is_ident_byte(b[i])) {
                continue;
            }
            let digits: String = raw.chars().filter(|c| *c != ',').collect();
            if let Ok(n) = digits.parse::<f64>() {
                return Some((n, raw));
            }
        }
        None
    })
}

/// The clause around `[at, end)`: back to the previous and on to the next
/// boundary (`,` `;` newline, sentence end, `AND`/`OR`/`WHERE`, unbalanced
/// parenthesis). Also says whether the clause is joined to another by `OR`.
fn clause_around(text: &str, at: usize, end: usize) -> (usize, usize, bool) {
    let b = text.as_bytes();
    let mut or_joined = false;
    // Forward, tracking parentheses so that `DATE_SUB(NOW(), INTERVAL 30 DAY)` stays whole.
    let mut depth = 0i32;
    let mut i = end;
    while i < b.len() {
        match b[i] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    break;
                }
            }
            b',' | b';' | b'\n' if depth == 0 => break,
            b'.' if depth == 0
                && (i + 1 == b.len() || b[i + 1] == b' ')
                && i > 0
                && !b[i - 1].is_ascii_digit() =>
            {
                break;
            }
            c if depth == 0 && c.is_ascii_alphabetic() && (i == 0 || !is_ident_byte(b[i - 1])) => {
                let w = word_at(b, i);
                if w.eq_ignore_ascii_case(b"and")
                    || w.eq_ignore_ascii_case(b"where")
                    || w.eq_ignore_ascii_case(b"group")
                    || w.eq_ignore_ascii_case(b"order")
                {
                    break;
                }
                if w.eq_ignore_ascii_case(b"or") {
                    or_joined = true;
                    break;
                }
                i += w.len();
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let clause_end = i;
    // Backward: to the previous boundary, at most 40 bytes ("30-day inactive").
    let mut j = at;
    let limit = at.saturating_sub(40);
    while j > limit {
        let c = b[j - 1];
        if matches!(c, b',' | b';' | b'\n' | b'(' | b')' | b'=' | b'<' | b'>') {
            break;
        }
        if c.is_ascii_alphabetic() && (j < 2 || !is_ident_byte(b[j - 2])) {
            let w = word_at(b, j - 1);
            if w.eq_ignore_ascii_case(b"or") {
                or_joined = true;
                break;
            }
            if w.eq_ignore_ascii_case(b"and") || w.eq_ignore_ascii_case(b"where") {
                break;
            }
        }
        j -= 1;
    }
    while !text.is_char_boundary(j) {
        j += 1;
    }
    (j, clause_end, or_joined)
}

fn word_at(b: &[u8], i: usize) -> &[u8] {
    let mut e = i;
    while e < b.len() && is_ident_byte(b[e]) {
        e += 1;
    }
    &b[i..e]
}

/// Definitions in a scope text: `X = Y`, `X means Y`, `X is defined as Y`.
pub(crate) fn scope_definitions(scope: &str) -> Vec<TermDefinition> {
    let mut out = Vec::new();
    for clause in clauses(scope) {
        let split = clause
            .find("==")
            .map(|p| (p, 2))
            .or_else(|| clause.find('=').map(|p| (p, 1)))
            .or_else(|| find_word_ci(clause, "means", 0).map(|p| (p, 5)))
            .or_else(|| find_word_ci(clause, "is defined as", 0).map(|p| (p, 13)));
        let Some((p, len)) = split else { continue };
        // `last_login >= x` is a comparison, not a definition.
        if p > 0 && matches!(clause.as_bytes()[p - 1], b'<' | b'>' | b'!') {
            continue;
        }
        let term = clause[..p]
            .trim()
            .trim_matches(|c: char| !c.is_ascii_alphanumeric());
        let text = &clause[p + len..];
        let word_count = words(term).count();
        if term.is_empty() || word_count > 3 || text.trim().is_empty() {
            continue;
        }
        out.push(TermDefinition::new(term, text, None));
    }
    out
}

/// Tables a scope restricts the session to: `customers table only`, `only the
/// customers table`, `tables: customers, accounts`.
pub(crate) fn scope_tables(scope: &str) -> Vec<String> {
    let mut out = Vec::new();
    for clause in clauses(scope) {
        let ws: Vec<&str> = words(clause).map(|(_, w)| w).collect();
        let restrictive = ws
            .iter()
            .any(|w| w.eq_ignore_ascii_case("only") || w.eq_ignore_ascii_case("just"));
        if !restrictive && !clause.contains(':') {
            continue;
        }
        for (i, w) in ws.iter().enumerate() {
            let is_table = w.eq_ignore_ascii_case("table") || w.eq_ignore_ascii_case("tables");
            if !is_table {
                continue;
            }
            // Names right before: `customers table`, `orders and refunds tables`.
            for prev in ws[..i].iter().rev() {
                if prev.eq_ignore_ascii_case("and") {
                    continue;
                }
                if !is_name(prev) {
                    break;
                }
                out.push(prev.to_ascii_lowercase());
            }
            // Names right after: `tables customers and accounts`.
            for next in ws.iter().skip(i + 1) {
                if next.eq_ignore_ascii_case("and") || next.eq_ignore_ascii_case("the") {
                    continue;
                }
                if !is_name(next) {
                    break;
                }
                out.push(next.to_ascii_lowercase());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

fn is_name(w: &str) -> bool {
    let mut buf = [0u8; MAX_WORD];
    let Some(stem) = stem_into(w, &mut buf) else {
        return false;
    };
    !matches!(lexicon(stem), Some(Lex::Stop | Lex::Negation))
        && ![
            "only", "just", "read", "access", "write", "use", "table", "tables",
        ]
        .iter()
        .any(|k| w.eq_ignore_ascii_case(k))
}

/// Clauses of a bullet: split on `;`, newlines and sentence ends.
pub(crate) fn clauses(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ';'])
        .flat_map(|s| s.split(". "))
        .map(|s| {
            s.trim()
                .trim_start_matches(['-', '*', '•'])
                .trim()
                .trim_end_matches('.')
        })
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inactive() -> TermDefinition {
        TermDefinition::new("inactive", "last_login older than 90 days", None)
    }

    #[test]
    fn parses_definitions_and_tables_from_scope() {
        let d = scope_definitions(
            "inactive = last_login older than 90 days; customers table only; read access",
        );
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].term, "inactive");
        assert_eq!(d[0].columns, ["last_login"]);
        assert_eq!(d[0].value, Some(Value::Days(90.0)));
        let d = scope_definitions("A high-value client means balance above 250,000 EUR.");
        assert_eq!(d[0].term, "high-value client");
        assert_eq!(d[0].value, Some(Value::Number(250000.0)));
        assert!(scope_definitions("last_login >= 2024-01-01").is_empty());
        assert_eq!(
            scope_tables("inactive = x; customers table only; read access"),
            ["customers"]
        );
        assert_eq!(
            scope_tables("only the orders and refunds tables"),
            ["orders", "refunds"]
        );
        assert!(scope_tables("the customers table").is_empty());
    }

    #[test]
    fn changed_value_is_a_departure() {
        let d = inactive();
        let sql = "SELECT id FROM customers WHERE last_login < now() - INTERVAL 30 DAY";
        assert_eq!(
            departure(&d, sql),
            Some(Departure::Value {
                anchor: "last_login",
                found: "30 DAY"
            })
        );
        let prose = "Treat inactive as no login in the last 30 days.";
        assert!(matches!(
            departure(&d, prose),
            Some(Departure::Value {
                found: "30 days",
                ..
            })
        ));
        let sql = "SELECT id FROM customers WHERE last_login < DATE_SUB(NOW(), INTERVAL 45 DAY)";
        assert!(departure(&d, sql).is_some());
    }

    #[test]
    fn same_value_or_other_columns_do_not_depart() {
        let d = inactive();
        let sql = "SELECT id, last_login, created_at FROM customers WHERE created_at > now() - INTERVAL 365 DAY AND last_login < now() - INTERVAL '3 months'";
        assert_eq!(departure(&d, sql), None);
        assert_eq!(
            departure(&d, "customers inactive for over 90 days: 1,204"),
            None
        );
    }

    #[test]
    fn or_widens_a_column_filter() {
        let d = inactive();
        let sql =
            "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY OR plan = 'free'";
        assert_eq!(
            departure(&d, sql),
            Some(Departure::Widened {
                anchor: "last_login"
            })
        );
    }
}

//! Finding SQL where SQL is held: database spans, tool arguments (under any
//! key, in nested JSON, or as a bare string) and code in a model's answer.
//! Prose that happens to say "from the customers table" is not SQL: a text
//! counts only when it has the structure of a statement.

use std::borrow::Cow;
use std::sync::LazyLock;

use serde_json::Value;

use crate::text::{Phrases, words};

/// The first word of a statement, skipping whitespace, `--` and `/* */` comments
/// and opening parentheses.
pub(crate) fn leading_word(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'(') {
            i += 1;
        }
        if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            match text[i + 2..].find("*/") {
                Some(end) => i += 2 + end + 2,
                None => return None,
            }
        } else {
            break;
        }
    }
    let start = i;
    while i < b.len() && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
        i += 1;
    }
    (i > start).then(|| &text[start..i])
}

/// Keywords a statement can start with.
const SQL_LEADING: &[&str] = &[
    "select", "with", "insert", "update", "delete", "merge", "upsert", "replace", "alter", "drop",
    "truncate", "create", "grant", "revoke", "explain", "show", "describe", "copy",
];

/// Objects of DDL verbs.
const DDL_OBJECTS: &[&str] = &[
    "table",
    "tables",
    "database",
    "schema",
    "view",
    "index",
    "unique",
    "user",
    "role",
    "function",
    "procedure",
    "trigger",
    "sequence",
    "temporary",
    "temp",
    "or",
    "if",
    "materialized",
    "column",
    "columns",
    "databases",
];

/// Whether `text` has the structure of a SQL statement (not merely SQL words).
pub(crate) fn is_statement(text: &str) -> bool {
    let Some(first) = leading_word(text) else {
        return false;
    };
    let is = |w: &str, k: &str| w.eq_ignore_ascii_case(k);
    if !SQL_LEADING.iter().any(|k| is(first, k)) {
        return false;
    }
    let ws: Vec<&str> = words(text).take(64).map(|(_, w)| w).collect();
    let at = |i: usize| ws.get(i).copied().unwrap_or("");
    let has = |k: &str| ws.iter().any(|w| is(w, k));
    let lower = first.to_ascii_lowercase();
    // Prose reads "Select the accounts from the customers table": SQL names
    // columns and tables, not articles.
    const ARTICLES: &[&str] = &[
        "the", "a", "an", "all", "every", "some", "any", "my", "our", "your", "this", "these",
        "those", "me", "us", "them", "it", "only",
    ];
    let article = |w: &str| ARTICLES.iter().any(|a| is(w, a));
    // "select a few rows" is prose; "SELECT a.sku, ..." selects through
    // the alias `a`.
    let second_raw = text.split_whitespace().nth(1).unwrap_or("");
    let alias = second_raw.contains(['.', ',']);
    if article(at(1)) && !alias {
        return false;
    }
    let after = |k: &str| ws.iter().position(|w| is(w, k)).map(|i| at(i + 1));
    match lower.as_str() {
        "select" => {
            after("from").is_some_and(|t| !t.is_empty() && !article(t))
                || text.trim_end().ends_with(';')
        }
        "with" => has("select") && has("as"),
        "insert" | "merge" | "upsert" => is(at(1), "into") || is(at(1), "overwrite"),
        "replace" => is(at(1), "into"),
        "update" => ws.iter().take(6).any(|w| is(w, "set")) && text.contains('='),
        "delete" => (is(at(1), "from") && !article(at(2))) || is(at(2), "from"),
        "drop" | "truncate" | "create" | "alter" => {
            DDL_OBJECTS.iter().any(|o| is(at(1), o)) || (lower == "truncate" && ws.len() == 2)
        }
        "grant" | "revoke" => has("on") && (has("to") || has("from")),
        "explain" => ws.len() > 2,
        "show" => DDL_OBJECTS.iter().any(|o| is(at(1), o)),
        "describe" => ws.len() == 2,
        "copy" => is(at(2), "from") || is(at(2), "to"),
        _ => false,
    }
}

/// A statement in tool arguments: the string value under any key (JSON
/// strings inside JSON included) that is a statement, or the whole text when
/// it is a bare statement.
pub(crate) fn sql_in_text(text: &str) -> Option<Cow<'_, str>> {
    if !mentions_sql_verb(text) {
        return None;
    }
    let trimmed = text.trim();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(trimmed).ok()?;
        return find_in_value(&value, 0).map(Cow::Owned);
    }
    if is_statement(trimmed) {
        return Some(Cow::Borrowed(trimmed));
    }
    sql_in_prose(text).map(Cow::Borrowed)
}

fn find_in_value(v: &Value, depth: u8) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            if depth < 4
                && (t.starts_with('{') || t.starts_with('['))
                && let Ok(inner) = serde_json::from_str::<Value>(t)
            {
                return find_in_value(&inner, depth + 1);
            }
            (mentions_sql_verb(t) && is_statement(t)).then(|| t.to_owned())
        }
        Value::Array(items) => items.iter().find_map(|i| find_in_value(i, depth)),
        Value::Object(o) => o.values().find_map(|i| find_in_value(i, depth)),
        _ => None,
    }
}

/// SQL in a model's prose answer: a fenced code block, or a line that starts
/// with a statement keyword and has a statement's structure.
pub(crate) fn sql_in_prose(text: &str) -> Option<&str> {
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let body_start = after.find('\n').map_or(0, |p| p + 1);
        let body = &after[body_start..];
        let end = body.find("```").unwrap_or(body.len());
        let code = body[..end].trim();
        if is_statement(code) {
            return Some(code);
        }
        rest = &body[end.min(body.len())..];
        if end >= body.len() {
            break;
        }
        rest = &rest[3.min(rest.len())..];
    }
    // A statement inside a sentence, written as SQL is written: an
    // uppercase keyword ("I will run: SELECT ... FROM ...").
    // One pass finds every keyword (they cannot overlap one another); they
    // are then tried keyword by keyword, in this order.
    const KEYWORDS: &[&str] = &[
        "SELECT", "WITH", "INSERT", "UPDATE", "DELETE", "MERGE", "DROP", "TRUNCATE", "ALTER",
        "CREATE",
    ];
    static FIND: LazyLock<Phrases> = LazyLock::new(|| Phrases::exact(KEYWORDS));
    let mut found: Vec<(usize, usize)> = FIND.found(text).collect();
    found.sort_unstable();
    for (_, p) in found {
        let boundary = p == 0 || !text.as_bytes()[p - 1].is_ascii_alphanumeric();
        if boundary && is_statement(&text[p..]) {
            return Some(up_to_statement_end(&text[p..]));
        }
    }
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim();
        if leading_word(l).is_some_and(|w| SQL_LEADING.iter().any(|k| w.eq_ignore_ascii_case(k)))
            && is_statement(&text[start..])
        {
            return Some(up_to_statement_end(text[start..].trim()));
        }
        start += line.len();
    }
    None
}

/// A statement at the start of `s`: to its semicolon or to a blank line.
fn up_to_statement_end(s: &str) -> &str {
    let end = s
        .find(';')
        .map(|e| e + 1)
        .or_else(|| s.find("\n\n"))
        .unwrap_or(s.len());
    s[..end].trim()
}

/// Cheap pre-check: does any word of the text start a statement?
fn mentions_sql_verb(text: &str) -> bool {
    words(text).any(|(_, w)| {
        w.len() >= 4 && w.len() <= 8 && SQL_LEADING.iter().any(|k| w.eq_ignore_ascii_case(k))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_by_structure() {
        assert!(is_statement("SELECT id FROM customers"));
        assert!(is_statement("delete from customers where id = 3"));
        assert!(is_statement("UPDATE public.customers SET status = 'x'"));
        assert!(is_statement("DROP TABLE audit_log"));
        assert!(is_statement("INSERT INTO t VALUES (1)"));
        assert!(!is_statement("update on flights to Lisbon"));
        assert!(!is_statement(
            "Select the inactive accounts from the customers table only"
        ));
        assert!(!is_statement("Update the ticket status and set a reminder"));
        assert!(!is_statement("create a draft reply for the customer"));
        assert!(!is_statement("show me the results"));
        // An alias that looks like an article.
        assert!(is_statement(
            "SELECT a.sku, a.asin FROM `dw.marketplace.amazon_listings` a WHERE a.sku = 'X'"
        ));
        assert!(!is_statement("select a few rows from the table"));
    }

    #[test]
    fn sql_under_any_key_nested_or_bare() {
        let found = |t| sql_in_text(t).map(|c| c.into_owned());
        assert_eq!(
            found(r#"{"statement": "DELETE FROM customers WHERE id = 1"}"#).as_deref(),
            Some("DELETE FROM customers WHERE id = 1")
        );
        assert_eq!(
            found(r#"{"payload": "{\"cmd\": \"UPDATE t SET a = 1\"}"}"#).as_deref(),
            Some("UPDATE t SET a = 1")
        );
        assert_eq!(
            found("DELETE FROM customers WHERE last_login < now() - INTERVAL 90 DAY").as_deref(),
            Some("DELETE FROM customers WHERE last_login < now() - INTERVAL 90 DAY")
        );
        assert_eq!(found(r#"{"query": "update on flights to Lisbon"}"#), None);
        assert_eq!(found("find customers from the customers table only"), None);
    }

    #[test]
    fn sql_in_prose_needs_code() {
        assert_eq!(
            sql_in_prose("Here is the query:\n```sql\nSELECT id FROM customers;\n```\nDone."),
            Some("SELECT id FROM customers;")
        );
        assert_eq!(
            sql_in_prose("I will run:\nDELETE FROM customers WHERE id = 4;\nthen report."),
            Some("DELETE FROM customers WHERE id = 4;")
        );
        assert_eq!(
            sql_in_prose("List the inactive customers from the customers table only."),
            None
        );
    }

    #[test]
    fn leading_word_skips_comments() {
        assert_eq!(leading_word("  -- hi\n /* x */ (select 1)"), Some("select"));
        assert_eq!(leading_word("/* open"), None);
        assert_eq!(leading_word(""), None);
    }
}

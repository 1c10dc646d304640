//! SQL checks: is a statement a write, and which tables does it touch.
//!
//! A cheap lexical pass runs first: a statement with no write keyword outside
//! literals and comments is a read, and most agent SQL is reads, so the parser
//! only runs when there is something to confirm. The parser (`sqlparser`,
//! generic dialect) then tells a real `UPDATE` from a column named `update`;
//! when it cannot parse the dialect, the leading verb of each statement decides.

use sqlparser::ast::{SetExpr, Statement};
use sqlparser::dialect::GenericDialect;
use sqlparser::parser::Parser;

use crate::text::is_ident_byte;

/// Keywords that start a statement which changes data, schema or grants.
const WRITE_VERBS: &[&str] = &[
    "insert", "update", "delete", "merge", "upsert", "replace", "alter", "drop", "truncate",
    "create", "grant", "revoke", "rename", "copy", "call", "exec", "execute", "vacuum", "optimize",
];

/// The write a statement performs: its verb, uppercased, and the first table it
/// names, for evidence such as `UPDATE customers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SqlWrite<'a> {
    /// The verb as written in the SQL.
    pub verb: &'a str,
    /// The target table when one is visible.
    pub table: Option<&'a str>,
}

/// Returns the write a SQL text performs, or `None` for reads.
pub(crate) fn sql_write(sql: &str) -> Option<SqlWrite<'_>> {
    let (pos, verb) = first_write_keyword(sql)?;
    let (verb, table) = if verb.eq_ignore_ascii_case("into") {
        ("SELECT INTO", tables(&sql[pos..]).next())
    } else {
        (verb, tables(&sql[pos..]).next())
    };
    let write = SqlWrite { verb, table };
    match Parser::parse_sql(&GenericDialect {}, &unescape_json_quotes(sql)) {
        Ok(statements) => statements.iter().any(statement_writes).then_some(write),
        Err(_) => statement_starts(sql)
            .any(|w| WRITE_VERBS.iter().any(|v| w.eq_ignore_ascii_case(v)))
            .then_some(write),
    }
}

/// SQL dug out of JSON tool arguments still has `\"` and `\n` escapes; the
/// parser needs them resolved. Only runs on the rare path that parses.
fn unescape_json_quotes(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('\\') {
        return std::borrow::Cow::Borrowed(sql);
    }
    std::borrow::Cow::Owned(
        sql.replace("\\\"", "\"")
            .replace("\\n", "\n")
            .replace("\\t", " ")
            .replace("\\\\", "\\"),
    )
}

fn statement_writes(s: &Statement) -> bool {
    match s {
        Statement::Query(q) => query_writes(q),
        Statement::Explain { .. }
        | Statement::ExplainTable { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowStatus { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowCreate { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowDatabases { .. }
        | Statement::ShowSchemas { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowViews { .. }
        | Statement::Use(_)
        | Statement::Set(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. } => false,
        _ => true,
    }
}

fn query_writes(q: &sqlparser::ast::Query) -> bool {
    let cte_writes = q
        .with
        .as_ref()
        .is_some_and(|w| w.cte_tables.iter().any(|c| query_writes(&c.query)));
    cte_writes || set_expr_writes(&q.body)
}

fn set_expr_writes(e: &SetExpr) -> bool {
    match e {
        SetExpr::Select(s) => s.into.is_some(),
        SetExpr::Query(q) => query_writes(q),
        SetExpr::SetOperation { left, right, .. } => {
            set_expr_writes(left) || set_expr_writes(right)
        }
        SetExpr::Insert(_) | SetExpr::Update(_) | SetExpr::Delete(_) | SetExpr::Merge(_) => true,
        _ => false,
    }
}

/// The first write keyword that stands as a whole word outside string literals,
/// quoted identifiers and comments, with its byte offset. `INTO` counts too:
/// `SELECT ... INTO new_table` writes without a write verb.
fn first_write_keyword(sql: &str) -> Option<(usize, &str)> {
    let mut found = None;
    scan_code_words(sql, |pos, word| {
        // Every verb is 4 to 8 letters: most words are skipped on length.
        if (4..=8).contains(&word.len())
            && (word.eq_ignore_ascii_case("into")
                || WRITE_VERBS.iter().any(|v| word.eq_ignore_ascii_case(v)))
        {
            found = Some((pos, word));
            true
        } else {
            false
        }
    });
    found
}

/// Calls `f` on every bare word of code (not in literals or comments) until it
/// returns true.
fn scan_code_words<'a>(sql: &'a str, mut f: impl FnMut(usize, &'a str) -> bool) {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' || c == b'"' || c == b'`' {
            i = skip_quoted(b, i);
        } else if b[i..].starts_with(b"--") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = sql[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if is_ident_byte(c) {
            let start = i;
            while i < b.len() && is_ident_byte(b[i]) {
                i += 1;
            }
            if f(start, &sql[start..i]) {
                return;
            }
        } else {
            i += 1;
        }
    }
}

/// Skips a quoted literal starting at `i`; handles doubled quotes and JSON
/// escapes (`\"`), which is how SQL arrives inside tool arguments.
fn skip_quoted(b: &[u8], i: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            if j + 1 < b.len() && b[j + 1] == q {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    b.len()
}

/// Whether `name` is a common table expression the statement defines
/// (`WITH name AS (`, `, name AS (`).
pub(crate) fn defines_cte(sql: &str, name: &str) -> bool {
    let mut from = 0;
    while let Some(at) = crate::text::find_word_ci(sql, name, from) {
        from = at + name.len();
        let after = sql[from..].trim_start();
        // Bytes first: "as" is ASCII, so a match ends on a boundary.
        let defines = after.len() >= 2
            && after.as_bytes()[..2].eq_ignore_ascii_case(b"as")
            && after[2..].trim_start().starts_with('(');
        if defines {
            return true;
        }
    }
    false
}

/// The leading word of each `;`-separated statement.
fn statement_starts(sql: &str) -> impl Iterator<Item = &str> {
    sql.split(';').filter_map(crate::span::leading_word)
}

/// Tables named after `FROM`, `JOIN`, `INTO`, `UPDATE` and `TABLE`, without
/// schema prefix or quotes. Subqueries (`FROM (`) are skipped; their own
/// `FROM` is found in turn. Allocation-free.
pub(crate) fn tables(sql: &str) -> Tables<'_> {
    Tables {
        qualified: false,
        sql,
        i: 0,
        expect_table: false,
        depth: 0,
        in_call: 0,
        last_word: "",
    }
}

/// The tables a statement names as it writes them, schema and dataset
/// included (`gw-liveops.zendesk_export.tickets`), quotes removed.
pub(crate) fn qualified_tables(sql: &str) -> Tables<'_> {
    Tables {
        qualified: true,
        ..tables(sql)
    }
}

/// Iterator over the tables a statement names; see [`tables`].
pub(crate) struct Tables<'a> {
    /// Whole names rather than their last segment.
    qualified: bool,
    sql: &'a str,
    i: usize,
    expect_table: bool,
    /// Parenthesis depth (capped at 63 for the bit set below).
    depth: u32,
    /// Bit per depth: that parenthesis opened a function call, inside which
    /// `FROM` is an argument separator (`EXTRACT(year FROM ts)`,
    /// `SUBSTRING(s FROM 2)`, `TRIM(x FROM y)`), not a table keyword.
    in_call: u64,
    last_word: &'a str,
}

/// Words that can precede `(` without it being a function call.
const NOT_CALLS: &[&str] = &[
    "in", "exists", "from", "join", "as", "on", "and", "or", "where", "select", "any", "all",
    "not", "values", "into", "using", "with", "union", "lateral", "table", "over", "filter",
];

impl<'a> Iterator for Tables<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let sql = self.sql;
        let b = sql.as_bytes();
        while self.i < b.len() {
            let c = b[self.i];
            if c == b'\'' {
                self.i = skip_quoted(b, self.i);
                self.expect_table = false;
            } else if is_ident_byte(c) || c == b'"' || c == b'`' {
                let start = self.i;
                while self.i < b.len()
                    && (is_ident_byte(b[self.i]) || matches!(b[self.i], b'.' | b'"' | b'`' | b'\\'))
                {
                    // BigQuery quotes whole paths in backticks, hyphens
                    // included: `mf-analytics.klaviyo_export.events`.
                    if b[self.i] == b'`'
                        && let Some(close) = sql[self.i + 1..].find('`')
                    {
                        self.i += close + 2;
                        continue;
                    }
                    self.i += 1;
                }
                let word = &sql[start..self.i];
                self.last_word = word;
                let in_call = self.depth > 0 && self.in_call & (1 << self.depth.min(63)) != 0;
                if in_call {
                    self.expect_table = false;
                    continue;
                }
                if self.expect_table {
                    self.expect_table = false;
                    let name = if self.qualified {
                        word
                    } else {
                        word.rsplit('.').next().unwrap_or(word)
                    };
                    let name = name.trim_matches(|c| c == '"' || c == '`' || c == '\\');
                    // The catalog describes tables; reading it reads no data.
                    let catalog = ["information_schema", "pg_catalog", "sqlite_master"]
                        .iter()
                        .any(|c| crate::text::contains_ci(word, c));
                    if !name.is_empty() && !is_keyword_after_from(name) && !catalog {
                        return Some(name);
                    }
                } else {
                    self.expect_table = ["from", "join", "into", "update", "table"]
                        .iter()
                        .any(|k| word.eq_ignore_ascii_case(k));
                }
            } else {
                if c == b'(' {
                    self.expect_table = false;
                    self.depth += 1;
                    let bit = 1u64 << self.depth.min(63);
                    let call = !self.last_word.is_empty()
                        && !NOT_CALLS
                            .iter()
                            .any(|k| self.last_word.eq_ignore_ascii_case(k));
                    self.in_call = if call {
                        self.in_call | bit
                    } else {
                        self.in_call & !bit
                    };
                } else if c == b')' {
                    self.depth = self.depth.saturating_sub(1);
                }
                if !c.is_ascii_whitespace() {
                    self.last_word = "";
                }
                self.i += 1;
            }
        }
        None
    }
}

fn is_keyword_after_from(w: &str) -> bool {
    [
        "select", "lateral", "unnest", "only", "if", "where", "group", "having", "order", "limit",
        "on", "set", "values", "as", "inner", "left", "right", "full", "cross", "natural", "union",
        "join",
    ]
    .iter()
    .any(|k| w.eq_ignore_ascii_case(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_verbs_fit_the_length_prefilter() {
        assert!(WRITE_VERBS.iter().all(|v| (4..=8).contains(&v.len())));
    }

    #[test]
    fn tables_by_their_last_segment_and_ctes() {
        let t: Vec<&str> = tables(
            "SELECT f FROM `mf-analytics.klaviyo_export.flow_messages_daily` d JOIN crm.\"Profiles\" p ON 1=1",
        )
        .collect();
        assert_eq!(t, ["flow_messages_daily", "Profiles"]);
        let sql = "WITH base AS (SELECT * FROM balances), x AS (SELECT 1) SELECT * FROM base JOIN x ON 1=1";
        assert!(defines_cte(sql, "base") && defines_cte(sql, "x") && !defines_cte(sql, "balances"));
        // The catalog and clause keywords are no tables.
        let t: Vec<&str> = tables(
            "SELECT column_name FROM PROCUREMENT.INFORMATION_SCHEMA.COLUMNS WHERE table_name = 'X'",
        )
        .collect();
        assert!(t.is_empty(), "{t:?}");
        let t: Vec<&str> = tables("count students from having more than 3 absences").collect();
        assert!(t.is_empty(), "{t:?}");
    }

    #[test]
    fn reads_are_not_writes() {
        assert_eq!(
            sql_write(
                "SELECT id, last_login FROM customers WHERE last_login < now() - INTERVAL 90 DAY"
            ),
            None
        );
        assert_eq!(
            sql_write("select 'update me' as note, \"delete\" from t -- drop table x"),
            None
        );
        assert_eq!(sql_write("WITH a AS (SELECT 1) SELECT * FROM a"), None);
    }

    #[test]
    fn writes_are_found_with_verb_and_table() {
        let w = sql_write("UPDATE customers SET status = 'inactive' WHERE id = 3").unwrap();
        assert_eq!((w.verb, w.table), ("UPDATE", Some("customers")));
        assert!(sql_write("select 1; DROP TABLE customers").is_some());
        assert!(sql_write("SELECT * INTO backup FROM customers").is_some());
        let w = sql_write("delete from crm.customers where id in (1,2)").unwrap();
        assert_eq!(w.table, Some("customers"));
    }

    #[test]
    fn unparsable_dialects_fall_back_to_the_leading_verb() {
        assert!(
            sql_write("UPDATE customers SET x = 1 SETTINGS mutations_sync = 2 WITH FRIENDS")
                .is_some()
        );
        assert_eq!(sql_write("SELECT update FROM WEIRD SYNTAX ((("), None);
    }

    #[test]
    fn json_escaped_sql_parses() {
        let w = sql_write(r#"UPDATE customers SET note = \"x\" WHERE id = 1"#).unwrap();
        assert_eq!(w.verb, "UPDATE");
    }

    #[test]
    fn table_names() {
        let t: Vec<_> = tables("SELECT * FROM public.customers c JOIN \"orders\" o ON o.cid = c.id WHERE x IN (SELECT y FROM payments)").collect();
        assert_eq!(t, ["customers", "orders", "payments"]);
        let t: Vec<_> = tables("SELECT count(*) FILTER (WHERE x) FROM subscriptions WHERE extract(year FROM cancelled_at) = 2024 AND substring(code FROM 2) = 'a'").collect();
        assert_eq!(t, ["subscriptions"]);
    }
}

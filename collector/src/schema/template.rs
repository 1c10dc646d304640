//! The placeholder syntax of the migration files.
//!
//! Migrations are plain ClickHouse SQL with `{{...}}` placeholders (double
//! braces, so ClickHouse's own `{shard}` macros and `{name:Type}` query
//! parameters pass through untouched):
//!
//! | placeholder | single node | cluster `c` |
//! |---|---|---|
//! | `{{database}}` | `reshimu` | `reshimu` |
//! | `{{on_cluster}}` | nothing | ``ON CLUSTER `c` `` |
//! | `{{table T}}` | `T` | `T_local` |
//! | `{{engine E(args)}}` | `E(args)` | `ReplicatedE('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', args)` |
//! | `{{ttl EXPR}}` | `TTL EXPR + toIntervalDay(n)`, nothing when n = 0 | same |
//! | `{{distributed T KEY}}` | nothing (the statement is dropped) | `CREATE TABLE ... T ... AS T_local ENGINE = Distributed(c, db, T_local, KEY)` |
//!
//! In cluster mode every table is a replicated `T_local` on each node plus a
//! Distributed `T` over the cluster, so readers and the collector keep using
//! the plain names; materialized views read and write the local tables, since
//! they fire on the node where the block lands.

use super::SchemaOptions;

/// Replaces every placeholder of `template`; the error is a message for
/// [`super::SchemaError::Template`].
///
/// Placeholders do not span lines. Trailing blanks are trimmed, and a line
/// that renders to nothing (a TTL of 0, say) is dropped, so the SQL reads as
/// if written by hand.
pub(crate) fn render(template: &str, options: &SchemaOptions) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 256);
    for line in template.lines() {
        let rendered = render_line(line, options)?;
        let rendered = rendered.trim_end();
        if rendered.is_empty() && line.contains("{{") {
            continue;
        }
        out.push_str(rendered);
        out.push('\n');
    }
    Ok(out)
}

fn render_line(line: &str, options: &SchemaOptions) -> Result<String, String> {
    let mut out = String::with_capacity(line.len() + 64);
    let mut rest = line;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("unclosed placeholder at {:?}", excerpt(&rest[start..])))?;
        out.push_str(&expand(after[..end].trim(), options)?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn expand(placeholder: &str, options: &SchemaOptions) -> Result<String, String> {
    let (key, arg) = match placeholder.split_once(char::is_whitespace) {
        Some((key, arg)) => (key, arg.trim()),
        None => (placeholder, ""),
    };
    let db = options.database.as_str();
    let cluster = options.cluster.as_deref();
    let needs_arg = |what: &str| {
        if arg.is_empty() {
            Err(format!("{{{{{key}}}}} needs {what}"))
        } else {
            Ok(())
        }
    };
    match key {
        "database" => Ok(db.to_owned()),
        "on_cluster" => Ok(cluster
            .map(|c| format!("ON CLUSTER `{c}`"))
            .unwrap_or_default()),
        "table" => {
            needs_arg("a table name")?;
            Ok(local_name(arg, cluster))
        }
        "engine" => {
            needs_arg("an engine")?;
            Ok(engine(arg, cluster))
        }
        "ttl" => {
            needs_arg("a DateTime expression")?;
            Ok(match options.ttl_days {
                0 => String::new(),
                days => format!("TTL {arg} + toIntervalDay({days})"),
            })
        }
        "distributed" => {
            let (table, key) = arg
                .split_once(char::is_whitespace)
                .ok_or("{{distributed}} needs a table name and a sharding key")?;
            Ok(match cluster {
                None => String::new(),
                Some(c) => format!(
                    "CREATE TABLE IF NOT EXISTS {db}.{table} ON CLUSTER `{c}` AS {db}.{table}_local \
                     ENGINE = Distributed('{c}', '{db}', '{table}_local', {key})",
                    key = key.trim()
                ),
            })
        }
        other => Err(format!("unknown placeholder {{{{{other}}}}}")),
    }
}

/// `(table, expression)` of every `{{ttl EXPR}}` in a template, the table
/// being the one named by the last `{{table T}}` before it.
pub(crate) fn ttl_targets(template: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut table: Option<String> = None;
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let placeholder = after[..end].trim();
        if let Some(name) = placeholder.strip_prefix("table ") {
            table = Some(name.trim().to_owned());
        } else if let (Some(expr), Some(table)) = (placeholder.strip_prefix("ttl "), &table) {
            out.push((table.clone(), expr.trim().to_owned()));
        }
        rest = &after[end + 2..];
    }
    out
}

pub(crate) fn local_name(table: &str, cluster: Option<&str>) -> String {
    match cluster {
        None => table.to_owned(),
        Some(_) => format!("{table}_local"),
    }
}

/// `MergeTree` -> `ReplicatedMergeTree(path, replica)`, keeping the engine's
/// own arguments (the version column of ReplacingMergeTree) after them.
///
/// The ZooKeeper path uses the server's `{shard}`/`{replica}` macros and the
/// built-in `{database}`/`{table}` ones, the layout ClickHouse documents.
fn engine(spec: &str, cluster: Option<&str>) -> String {
    if cluster.is_none() {
        return spec.to_owned();
    }
    let (name, args) = match spec.split_once('(') {
        Some((name, args)) => (name.trim(), args.trim_end().trim_end_matches(')').trim()),
        None => (spec, ""),
    };
    let mut out = format!(
        "Replicated{name}('/clickhouse/tables/{{shard}}/{{database}}/{{table}}', '{{replica}}'"
    );
    if !args.is_empty() {
        out.push_str(", ");
        out.push_str(args);
    }
    out.push(')');
    out
}

fn excerpt(text: &str) -> &str {
    let end = text
        .char_indices()
        .nth(40)
        .map_or(text.len(), |(index, _)| index);
    &text[..end]
}

/// Splits rendered SQL into statements on `;`, skipping semicolons inside
/// quotes and comments, and drops statements that hold nothing but comments
/// (such as a `{{distributed}}` line rendered for a single node).
pub(crate) fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let bytes = sql.as_bytes();
    let mut start = 0;
    let mut has_code = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |n| i + 2 + n + 2);
                continue;
            }
            quote @ (b'\'' | b'"' | b'`') => {
                has_code = true;
                i = skip_quoted(bytes, i, quote);
                continue;
            }
            b';' => {
                if has_code {
                    statements.push(sql[start..i].trim().to_owned());
                }
                start = i + 1;
                has_code = false;
            }
            byte if !byte.is_ascii_whitespace() => has_code = true,
            _ => {}
        }
        i += 1;
    }
    if has_code {
        statements.push(sql[start..].trim().to_owned());
    }
    statements
}

/// Index just past the closing quote of the literal opening at `open`;
/// handles backslash escapes and doubled quotes as ClickHouse does.
fn skip_quoted(bytes: &[u8], open: usize, quote: u8) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            byte if byte == quote => {
                if bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single() -> SchemaOptions {
        SchemaOptions {
            ttl_days: 0,
            ..SchemaOptions::default()
        }
    }

    fn cluster() -> SchemaOptions {
        SchemaOptions {
            database: "obs".into(),
            ttl_days: 14,
            cluster: Some("prod".into()),
        }
    }

    #[test]
    fn single_node_placeholders() {
        let sql = "CREATE TABLE {{database}}.{{table t}} {{on_cluster}} (x UInt8) \
                   ENGINE = {{engine ReplacingMergeTree(v)}} ORDER BY x {{ttl d}}";
        assert_eq!(
            render(sql, &single()).unwrap(),
            "CREATE TABLE reshimu.t  (x UInt8) ENGINE = ReplacingMergeTree(v) ORDER BY x\n"
        );
    }

    #[test]
    fn cluster_placeholders() {
        let sql = "{{database}}.{{table t}} {{on_cluster}} {{engine ReplacingMergeTree(v)}} \
                   {{engine MergeTree}} {{ttl toDateTime(d)}}";
        assert_eq!(
            render(sql, &cluster()).unwrap(),
            "obs.t_local ON CLUSTER `prod` \
             ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', v) \
             ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}') \
             TTL toDateTime(d) + toIntervalDay(14)\n"
        );
    }

    #[test]
    fn distributed_only_in_cluster_mode() {
        let sql = "{{distributed t cityHash64(k)}}";
        assert_eq!(render(sql, &single()).unwrap(), "");
        assert_eq!(
            render("a {{on_cluster}}\n{{ttl d}}\nb\n\nc", &single()).unwrap(),
            "a\nb\n\nc\n"
        );
        assert_eq!(
            render(sql, &cluster()).unwrap(),
            "CREATE TABLE IF NOT EXISTS obs.t ON CLUSTER `prod` AS obs.t_local \
             ENGINE = Distributed('prod', 'obs', 't_local', cityHash64(k))\n"
        );
    }

    #[test]
    fn clickhouse_braces_pass_through() {
        let sql = "SELECT {id:String}, '{shard}'";
        assert_eq!(render(sql, &cluster()).unwrap(), format!("{sql}\n"));
    }

    #[test]
    fn bad_placeholders_are_errors() {
        for sql in ["{{nope}}", "{{table}}", "{{distributed t}}", "x {{database"] {
            assert!(render(sql, &single()).is_err(), "{sql:?} rendered");
        }
    }

    #[test]
    fn splits_outside_quotes_and_comments() {
        let sql = "-- header; with a semicolon\nCREATE a (s String DEFAULT ';''x\\';');\n\
                   /* block; */ SELECT `a;b`, \"c;d\";\n-- only a comment\n;\n  ;SELECT 1";
        assert_eq!(
            split_statements(sql),
            vec![
                "-- header; with a semicolon\nCREATE a (s String DEFAULT ';''x\\';')",
                "/* block; */ SELECT `a;b`, \"c;d\"",
                "SELECT 1",
            ]
        );
    }
}

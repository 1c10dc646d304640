//! Expands a dashboard query the way Grafana and `grafana-clickhouse-datasource`
//! (v4) do before the SQL reaches ClickHouse, so the tests run the same text.
//!
//! Three stages, in the order the plugin applies them:
//!
//! 1. Frontend, `Datasource.applyConditionalAll`: `$__conditionalAll(<sql>, $var)`
//!    becomes `1=1` when `$var` is "All" (`$__all`) or empty, and `<sql>`
//!    otherwise.
//! 2. Frontend, Grafana's template service with the plugin's formatter:
//!    `$var`, `${var}` and `${var:format}`.
//!    - no format: a multi-value variable becomes `'a','b'` (the plugin joins
//!      the values with `','` inside single quotes, without escaping); a
//!      single value is inserted as it is;
//!    - `:singlequote`: every value in single quotes with `'` escaped as
//!      `\'`, joined by `,`;
//!    - "All" without a custom all value stands for every option.
//! 3. Backend, `pkg/macros` (`toDateTime(<unix seconds>)` is UTC):
//!    - `$__timeFilter(c)` -> `c >= toDateTime(<from>) AND c <= toDateTime(<to>)`
//!    - `$__timeFilter_ms(c)` -> the same with `fromUnixTimestamp64Milli(<ms>)`
//!    - `$__fromTime` / `$__toTime` -> `toDateTime(<from>)` / `toDateTime(<to>)`
//!    - `$__fromTime_ms` / `$__toTime_ms` -> `fromUnixTimestamp64Milli(<ms>)`
//!    - `$__timeInterval(c)` -> `toStartOfInterval(toDateTime(c), INTERVAL <s> second)`
//!      with `<s>` the panel interval in whole seconds, at least 1
//!    - `$__interval_s` -> that number of seconds.
//!
//! Anything else that starts with `$` is an error here (Grafana would leave
//! it in the SQL and ClickHouse would reject it), so a typo in a variable
//! name fails the tests instead of a panel.

use std::collections::BTreeMap;

/// Grafana's sentinel value for the "All" option of a variable.
pub const ALL: &str = "$__all";

/// Why a query could not be expanded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MacroError {
    /// `$name` names no dashboard variable and no plugin macro.
    #[error("unknown variable or macro `${0}`")]
    Unknown(String),
    /// A `${var:format}` with a format the plugin's dashboards do not use.
    #[error("unsupported variable format `{format}` on `{name}`")]
    Format {
        /// Variable name.
        name: String,
        /// The format after the colon.
        format: String,
    },
    /// A macro call without its closing parenthesis.
    #[error("unbalanced parentheses in `{0}(`")]
    Unbalanced(String),
    /// A macro called with the wrong number of arguments.
    #[error("`$__{name}` takes {expected} argument(s), got {got}")]
    Arity {
        /// Macro name without `$__`.
        name: String,
        /// Arguments it takes.
        expected: usize,
        /// Arguments it was given.
        got: usize,
    },
}

/// The value of one dashboard variable at query time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarValue {
    /// Selected values (one for a single-value variable).
    pub selected: Vec<String>,
    /// Whether "All" is selected; `selected` then holds every option.
    pub all: bool,
    /// Whether the variable is multi-value (changes the default format).
    pub multi: bool,
}

impl VarValue {
    /// A single-value variable (`database`, `session` in the lineage view).
    pub fn single(value: &str) -> VarValue {
        VarValue {
            selected: vec![value.to_owned()],
            all: false,
            multi: false,
        }
    }

    /// A multi-value variable with these values selected.
    pub fn multi(values: &[&str]) -> VarValue {
        VarValue {
            selected: values.iter().map(|v| (*v).to_owned()).collect(),
            all: false,
            multi: true,
        }
    }

    /// A multi-value variable on "All", whose options are `options`.
    pub fn all(options: &[&str]) -> VarValue {
        VarValue {
            all: true,
            ..VarValue::multi(options)
        }
    }

    /// What `$__conditionalAll` tests: "All" or an empty value drops the filter.
    fn is_all_or_empty(&self) -> bool {
        self.all || self.selected.iter().all(String::is_empty)
    }
}

/// The dashboard time range and panel interval a query runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Range start, ms since the epoch.
    pub from_ms: i64,
    /// Range end, ms since the epoch.
    pub to_ms: i64,
    /// Panel interval (`$__interval`), ms.
    pub interval_ms: i64,
}

/// Everything a query's expansion depends on.
#[derive(Debug, Clone)]
pub struct QueryContext {
    /// Dashboard variables by name.
    pub vars: BTreeMap<String, VarValue>,
    /// Time range and interval.
    pub range: TimeRange,
}

impl QueryContext {
    /// A context with no variables.
    pub fn new(range: TimeRange) -> QueryContext {
        QueryContext {
            vars: BTreeMap::new(),
            range,
        }
    }

    /// Sets (or replaces) a variable.
    pub fn with(mut self, name: &str, value: VarValue) -> QueryContext {
        self.vars.insert(name.to_owned(), value);
        self
    }

    /// Expands `sql` through the three stages described in the module docs.
    pub fn expand(&self, sql: &str) -> Result<String, MacroError> {
        let sql = self.conditional_all(sql)?;
        let sql = self.template_variables(&sql)?;
        self.backend_macros(&sql)
    }

    /// Stage 1. Like the plugin, resolves the last call first, so nested
    /// calls see an already expanded inner call.
    fn conditional_all(&self, sql: &str) -> Result<String, MacroError> {
        const MACRO: &str = "$__conditionalAll(";
        let mut sql = sql.to_owned();
        while let Some(start) = sql.rfind(MACRO) {
            let open = start + MACRO.len() - 1;
            let (args, end) = macro_args(&sql, open)
                .ok_or_else(|| MacroError::Unbalanced("$__conditionalAll".into()))?;
            let [phrase, var] = args.as_slice() else {
                return Err(MacroError::Arity {
                    name: "conditionalAll".into(),
                    expected: 2,
                    got: args.len(),
                });
            };
            let name = variable_name(var.trim())
                .ok_or_else(|| MacroError::Unknown(var.trim().to_owned()))?;
            let value = self
                .vars
                .get(name)
                .ok_or_else(|| MacroError::Unknown(name.to_owned()))?;
            let replacement = if value.is_all_or_empty() {
                "1=1".to_owned()
            } else {
                phrase.clone()
            };
            sql.replace_range(start..end, &replacement);
        }
        Ok(sql)
    }

    /// Stage 2.
    fn template_variables(&self, sql: &str) -> Result<String, MacroError> {
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(dollar) = rest.find('$') {
            out.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            if after.starts_with("__") {
                // A backend macro or a Grafana global: left for stage 3.
                out.push('$');
                rest = after;
                continue;
            }
            let (name, format, consumed) = if let Some(braced) = after.strip_prefix('{') {
                let close = braced
                    .find('}')
                    .ok_or_else(|| MacroError::Unbalanced("${".into()))?;
                let inner = &braced[..close];
                let (name, format) = match inner.split_once(':') {
                    Some((name, format)) => (name, Some(format)),
                    None => (inner, None),
                };
                (name, format, close + 2)
            } else {
                let len = identifier_len(after);
                (&after[..len], None, len)
            };
            if name.is_empty() {
                return Err(MacroError::Unknown(String::new()));
            }
            let value = self
                .vars
                .get(name)
                .ok_or_else(|| MacroError::Unknown(name.to_owned()))?;
            out.push_str(&format_value(name, value, format)?);
            rest = &after[consumed..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Stage 3.
    fn backend_macros(&self, sql: &str) -> Result<String, MacroError> {
        let range = self.range;
        let from_s = range.from_ms.div_euclid(1000);
        let to_s = range.to_ms.div_euclid(1000);
        let interval_s = (range.interval_ms / 1000).max(1);
        let mut out = String::with_capacity(sql.len());
        let mut rest = sql;
        while let Some(start) = rest.find("$__") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 3..];
            let name_len = identifier_len(after);
            let name = &after[..name_len];
            let mut consumed = 3 + name_len;
            let args = if after[name_len..].starts_with('(') {
                let (args, end) = macro_args(&rest[start..], 3 + name_len)
                    .ok_or_else(|| MacroError::Unbalanced(format!("$__{name}")))?;
                consumed = end;
                args.into_iter().map(|a| a.trim().to_owned()).collect()
            } else {
                Vec::new()
            };
            let arity = |expected: usize| {
                if args.len() == expected {
                    Ok(())
                } else {
                    Err(MacroError::Arity {
                        name: name.to_owned(),
                        expected,
                        got: args.len(),
                    })
                }
            };
            let expansion = match name {
                "fromTime" => format!("toDateTime({from_s})"),
                "toTime" => format!("toDateTime({to_s})"),
                "fromTime_ms" => format!("fromUnixTimestamp64Milli({})", range.from_ms),
                "toTime_ms" => format!("fromUnixTimestamp64Milli({})", range.to_ms),
                "timeFilter" => {
                    arity(1)?;
                    let c = &args[0];
                    format!("{c} >= toDateTime({from_s}) AND {c} <= toDateTime({to_s})")
                }
                "timeFilter_ms" => {
                    arity(1)?;
                    let c = &args[0];
                    format!(
                        "{c} >= fromUnixTimestamp64Milli({}) AND {c} <= fromUnixTimestamp64Milli({})",
                        range.from_ms, range.to_ms
                    )
                }
                "timeInterval" => {
                    arity(1)?;
                    format!(
                        "toStartOfInterval(toDateTime({}), INTERVAL {interval_s} second)",
                        args[0]
                    )
                }
                "interval_s" => interval_s.to_string(),
                _ => return Err(MacroError::Unknown(format!("__{name}"))),
            };
            out.push_str(&expansion);
            rest = &rest[start + consumed..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Formats a variable's value as Grafana's template service does with the
/// plugin's formatter (see the module docs).
fn format_value(name: &str, value: &VarValue, format: Option<&str>) -> Result<String, MacroError> {
    match format {
        None if value.multi => Ok(format!("'{}'", value.selected.join("','"))),
        None => Ok(value.selected.first().cloned().unwrap_or_default()),
        Some("singlequote") => Ok(value
            .selected
            .iter()
            .map(|v| format!("'{}'", v.replace('\'', "\\'")))
            .collect::<Vec<_>>()
            .join(",")),
        Some(other) => Err(MacroError::Format {
            name: name.to_owned(),
            format: other.to_owned(),
        }),
    }
}

/// Length of the `\w+` identifier at the start of `s`.
fn identifier_len(s: &str) -> usize {
    s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len())
}

/// The variable a `$__conditionalAll` second argument names: `$var` or `${var}`.
fn variable_name(arg: &str) -> Option<&str> {
    let name = arg.strip_prefix('$')?;
    let name = name
        .strip_prefix('{')
        .and_then(|n| n.strip_suffix('}'))
        .unwrap_or(name);
    (identifier_len(name) == name.len() && !name.is_empty()).then_some(name)
}

/// Splits the arguments of the call whose `(` is at byte `open` of `sql` on
/// the commas at depth one, as the plugin's `getMacroArgs` does (parentheses
/// only; brackets and quotes are not special). Returns the arguments and the
/// byte just past the closing `)`.
fn macro_args(sql: &str, open: usize) -> Option<(Vec<String>, usize)> {
    let mut depth = 0usize;
    let mut args = Vec::new();
    let mut arg_start = open + 1;
    for (i, c) in sql[open..].char_indices() {
        let at = open + i;
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    args.push(sql[arg_start..at].to_owned());
                    return Some((args, at + 1));
                }
            }
            ',' if depth == 1 => {
                args.push(sql[arg_start..at].to_owned());
                arg_start = at + 1;
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> QueryContext {
        QueryContext::new(TimeRange {
            from_ms: 1_700_000_000_500,
            to_ms: 1_700_003_600_900,
            interval_ms: 30_000,
        })
        .with("database", VarValue::single("reshimu"))
        .with("agent", VarValue::multi(&["query-agent", "o'brien"]))
        .with("service", VarValue::all(&["a", "b"]))
        .with("session", VarValue::single("s-1"))
    }

    #[test]
    fn time_macros_expand_like_the_plugin() {
        let c = ctx();
        assert_eq!(
            c.expand("WHERE $__timeFilter(Timestamp)").unwrap(),
            "WHERE Timestamp >= toDateTime(1700000000) AND Timestamp <= toDateTime(1700003600)"
        );
        assert_eq!(
            c.expand("$__fromTime, $__toTime, $__fromTime_ms").unwrap(),
            "toDateTime(1700000000), toDateTime(1700003600), fromUnixTimestamp64Milli(1700000000500)"
        );
        assert_eq!(
            c.expand("$__timeInterval(Timestamp) AS time, $__interval_s")
                .unwrap(),
            "toStartOfInterval(toDateTime(Timestamp), INTERVAL 30 second) AS time, 30"
        );
    }

    #[test]
    fn interval_is_at_least_one_second() {
        let mut c = ctx();
        c.range.interval_ms = 200;
        assert_eq!(c.expand("$__interval_s").unwrap(), "1");
    }

    #[test]
    fn variables_expand_with_the_plugin_formatter() {
        let c = ctx();
        assert_eq!(
            c.expand("${database}.spans, $database.x").unwrap(),
            "reshimu.spans, reshimu.x"
        );
        // The plugin's default formatter quotes multi-values without escaping.
        assert_eq!(
            c.expand("IN ($agent)").unwrap(),
            "IN ('query-agent','o'brien')"
        );
        assert_eq!(
            c.expand("IN (${agent:singlequote})").unwrap(),
            "IN ('query-agent','o\\'brien')"
        );
        assert_eq!(c.expand("= ${session:singlequote}").unwrap(), "= 's-1'");
        assert_eq!(
            c.expand("IN (${service:singlequote})").unwrap(),
            "IN ('a','b')"
        );
    }

    #[test]
    fn conditional_all_drops_the_filter_on_all() {
        let c = ctx();
        assert_eq!(
            c.expand("$__conditionalAll(ServiceName IN (${service:singlequote}), $service)")
                .unwrap(),
            "1=1"
        );
        assert_eq!(
            c.expand("$__conditionalAll(hasAny(AgentNames, [${agent:singlequote}]), ${agent})")
                .unwrap(),
            "hasAny(AgentNames, ['query-agent','o\\'brien'])"
        );
        let empty = ctx().with("agent", VarValue::single(""));
        assert_eq!(
            empty
                .expand("$__conditionalAll(AgentName = '$agent', $agent)")
                .unwrap(),
            "1=1"
        );
    }

    #[test]
    fn unknown_names_and_bad_calls_are_errors() {
        let c = ctx();
        assert_eq!(
            c.expand("${agnet}"),
            Err(MacroError::Unknown("agnet".into()))
        );
        assert_eq!(
            c.expand("$__timeFiltre(x)"),
            Err(MacroError::Unknown("__timeFiltre".into()))
        );
        assert!(matches!(
            c.expand("$__timeFilter(a, b)"),
            Err(MacroError::Arity { .. })
        ));
        assert!(matches!(
            c.expand("$__timeFilter(a"),
            Err(MacroError::Unbalanced(_))
        ));
        assert!(matches!(
            c.expand("${agent:csv}"),
            Err(MacroError::Format { .. })
        ));
    }
}

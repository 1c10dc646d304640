//! Runs dashboard queries on the real engine (through the local ClickHouse
//! launcher) against a fresh database that a real collector filled with the
//! [reference sessions](super::seed).

use std::time::{SystemTime, UNIX_EPOCH};

use reshimu_clickhouse_launcher::{LaunchError, LocalClickHouse};
use serde_json::Value;

use super::collect::{self, CollectError};
use super::seed::{self, Reference};

/// Why a database could not be prepared or a query not run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The server could not be started or answered with an error.
    #[error(transparent)]
    Launch(#[from] LaunchError),
    /// The collector did not store the reference sessions.
    #[error(transparent)]
    Collect(#[from] CollectError),
    /// The recorded reference session could not be read.
    #[error("the recorded reference session: {0}")]
    Recording(#[from] reshimu_collector::offline::InputError),
    /// The stored rows could not be read back.
    #[error("reading the stored sessions: {0}")]
    Read(#[from] clickhouse::error::Error),
    /// The server's answer was not the JSON asked for.
    #[error("unexpected answer to {sql}: {reason}")]
    Answer {
        /// The query.
        sql: String,
        /// What was wrong with the answer.
        reason: String,
    },
}

/// A database the collector filled with the reference sessions.
#[derive(Debug, Clone)]
pub struct SeededDatabase {
    /// Database name (the dashboards' `$database`).
    pub database: String,
    /// What the collector stored.
    pub reference: Reference,
}

/// Creates a fresh database on `server` and has a collector write the
/// reference sessions to it, the drifted one starting two minutes ago (but
/// never before the server's midnight, so "today" holds both).
pub async fn seeded_database(
    server: &LocalClickHouse,
    prefix: &str,
) -> Result<SeededDatabase, EngineError> {
    let database = server.fresh_database(prefix)?;
    let midnight_s = scalar_i64(server, "SELECT toUnixTimestamp(toStartOfDay(now()))")?;
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or_default();
    let start_ns = (now_ns - 120_000_000_000).max(midnight_s * 1_000_000_000 + 61_000_000_000);
    let sent = seed::requests(start_ns)?;
    collect::collect(server, &database, &sent.requests, sent.spans, sent.intents).await?;
    let reference = Reference::read(&server.client().with_database(&database)).await?;
    Ok(SeededDatabase {
        database,
        reference,
    })
}

/// A query result: column names and types, and the rows as JSON values.
#[derive(Debug, Clone)]
pub struct Frame {
    /// `(name, ClickHouse type)` per column.
    pub columns: Vec<(String, String)>,
    /// Rows, values in column order.
    pub rows: Vec<Vec<Value>>,
}

impl Frame {
    /// Column names in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Type of the column `name`.
    pub fn column_type(&self, name: &str) -> Option<&str> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t.as_str())
    }

    /// All values of the column `name` (empty if there is no such column).
    pub fn column(&self, name: &str) -> Vec<&Value> {
        match self.columns.iter().position(|(n, _)| n == name) {
            Some(i) => self.rows.iter().filter_map(|r| r.get(i)).collect(),
            None => Vec::new(),
        }
    }

    /// The column `name` as strings (numbers and nulls rendered as text).
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.column(name).into_iter().map(text).collect()
    }

    /// The column `name` as numbers; `None` for null and non-numbers.
    pub fn numbers(&self, name: &str) -> Vec<Option<f64>> {
        self.column(name).into_iter().map(number).collect()
    }

    /// The value of `name` in row `row`.
    pub fn get(&self, row: usize, name: &str) -> Option<&Value> {
        let i = self.columns.iter().position(|(n, _)| n == name)?;
        self.rows.get(row)?.get(i)
    }
}

/// A JSON value as text: strings as they are, everything else serialized.
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A JSON value as a number; ClickHouse quotes 64-bit integers by default.
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Runs one SELECT and returns its result.
pub fn run(server: &LocalClickHouse, sql: &str) -> Result<Frame, EngineError> {
    let body = server.execute(&format!("{}\nFORMAT JSONCompact", sql.trim_end()))?;
    let answer = |reason: &str| EngineError::Answer {
        sql: sql.to_owned(),
        reason: reason.to_owned(),
    };
    let json: Value = serde_json::from_str(&body).map_err(|e| answer(&e.to_string()))?;
    let columns = json["meta"]
        .as_array()
        .ok_or_else(|| answer("no meta"))?
        .iter()
        .map(|c| (text(&c["name"]), text(&c["type"])))
        .collect();
    let rows = json["data"]
        .as_array()
        .ok_or_else(|| answer("no data"))?
        .iter()
        .map(|r| r.as_array().cloned().unwrap_or_default())
        .collect();
    Ok(Frame { columns, rows })
}

fn scalar_i64(server: &LocalClickHouse, sql: &str) -> Result<i64, EngineError> {
    let frame = run(server, sql)?;
    frame
        .rows
        .first()
        .and_then(|r| r.first())
        .and_then(number)
        .map(|n| n as i64)
        .ok_or_else(|| EngineError::Answer {
            sql: sql.to_owned(),
            reason: "no number".into(),
        })
}

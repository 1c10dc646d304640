//! `reshimu-collector demo`: sends the reference session, clean and drifted,
//! to a running collector and prints what it found in ClickHouse.

pub mod load;
pub mod otlp;
pub mod reference;

use std::fmt::Write;
use std::time::{Duration, Instant};

use prost::Message;
use serde::Deserialize;

pub use reference::Variant;

/// Why the demo could not complete.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The collector refused or could not be reached.
    #[error("sending to {endpoint}: {message}")]
    Send {
        /// The OTLP/HTTP endpoint.
        endpoint: String,
        /// What went wrong.
        message: String,
    },
    /// The spans did not show up in ClickHouse in time.
    #[error(
        "the demo sessions did not reach ClickHouse within {0:?} (is the collector writing to the same database?)"
    )]
    Timeout(Duration),
}

/// One stored span of a demo session, as printed.
#[derive(Debug, Clone, clickhouse::Row, Deserialize)]
pub struct StoredSpan {
    /// Delegation depth.
    #[serde(rename = "Depth")]
    pub depth: u16,
    /// Agent.
    #[serde(rename = "AgentName")]
    pub agent: String,
    /// Action kind.
    #[serde(rename = "ActionKind")]
    pub action_kind: String,
    /// Action name.
    #[serde(rename = "ActionName")]
    pub action_name: String,
    /// Verdict.
    #[serde(rename = "Verdict")]
    pub verdict: String,
    /// Alignment.
    #[serde(rename = "Alignment")]
    pub alignment: f32,
    /// Explanation.
    #[serde(rename = "Explanation")]
    pub explanation: String,
}

/// Sends both variants to `endpoint` (an OTLP/HTTP base URL such as
/// `http://127.0.0.1:4318`) and returns the session ids, clean first.
pub async fn send(endpoint: &str) -> Result<Vec<(Variant, String)>, DemoError> {
    let client = reqwest::Client::new();
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut sessions = Vec::new();
    for variant in [Variant::Clean, Variant::Drifted] {
        let session = format!("demo-{}-{stamp}", variant.as_str());
        for request in reference::session(variant, &session) {
            let err = |message: String| DemoError::Send {
                endpoint: url.clone(),
                message,
            };
            let resp = client
                .post(&url)
                .header("content-type", "application/x-protobuf")
                .body(request.encode_to_vec())
                .send()
                .await
                .map_err(|e| err(e.to_string()))?;
            if !resp.status().is_success() {
                let status = resp.status();
                return Err(err(format!(
                    "HTTP {status}: {}",
                    resp.text().await.unwrap_or_default()
                )));
            }
        }
        sessions.push((variant, session));
    }
    Ok(sessions)
}

/// Waits until every span of `session` is in ClickHouse and returns them in
/// time order.
pub async fn fetch(
    client: &clickhouse::Client,
    session: &str,
    variant: Variant,
    timeout: Duration,
) -> Result<Vec<StoredSpan>, DemoError> {
    let expected = reference::session(variant, session)
        .iter()
        .flat_map(|r| &r.resource_spans)
        .flat_map(|r| &r.scope_spans)
        .map(|s| s.spans.len())
        .sum::<usize>();
    let deadline = Instant::now() + timeout;
    loop {
        let rows = client
            .query(
                "SELECT Depth, AgentName, ActionKind, ActionName, Verdict, Alignment, Explanation \
                 FROM spans WHERE SessionId = ? ORDER BY Timestamp",
            )
            .bind(session)
            .fetch_all::<StoredSpan>()
            .await
            .unwrap_or_default();
        if rows.len() >= expected {
            return Ok(rows);
        }
        if Instant::now() >= deadline {
            return Err(DemoError::Timeout(timeout));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// A readable report of one session.
pub fn report(variant: Variant, session: &str, spans: &[StoredSpan]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} session {session}", variant.as_str());
    for s in spans {
        let indent = "  ".repeat(usize::from(s.depth) + 1);
        let _ = write!(
            out,
            "{indent}{:<9} {:.2}  {} {} {}",
            s.verdict, s.alignment, s.agent, s.action_kind, s.action_name
        );
        if s.verdict != "aligned" && !s.explanation.is_empty() {
            let _ = write!(out, "  — {}", s.explanation);
        }
        out.push('\n');
    }
    let flagged = spans.iter().filter(|s| s.verdict != "aligned").count();
    let _ = writeln!(out, "  => {flagged} of {} spans flagged", spans.len());
    out
}

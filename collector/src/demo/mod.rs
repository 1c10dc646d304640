//! `reshimu-collector demo`: sends the reference session, clean and drifted,
//! to a running collector and prints what it found in ClickHouse. The session
//! is the exporter's, replayed from its recorded OTLP ([`reference`]).

pub mod load;
pub mod otlp;
pub mod reference;
pub mod replay;

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
    /// The recorded reference session could not be read (a broken build).
    #[error("the recorded reference session: {0}")]
    Recording(#[from] crate::offline::InputError),
}

/// One stored span of a demo session, as printed.
#[derive(Debug, Clone, clickhouse::Row, Deserialize)]
pub struct StoredSpan {
    /// Span id (hex), to find the intent it declared.
    #[serde(rename = "SpanId")]
    pub span_id: String,
    /// Span name.
    #[serde(rename = "SpanName")]
    pub span_name: String,
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
    /// The rules broken, `<rule id>: <evidence>` each.
    #[serde(rename = "Violations")]
    pub violations: Vec<String>,
    /// The explanation, for findings that are neither a rule nor a loss.
    #[serde(rename = "Explanation")]
    pub explanation: String,
}

/// What a declared intent lost from the root, as stored in `intents`.
#[derive(Debug, Clone, clickhouse::Row, Deserialize)]
pub struct StoredLoss {
    /// The declaring span (hex).
    #[serde(rename = "SpanId")]
    pub span_id: String,
    /// The root's definitions and constraints the contraction no longer carries.
    #[serde(rename = "Lost")]
    pub lost: Vec<String>,
}

/// A stored session: its spans in time order and its intents' losses.
#[derive(Debug, Clone, Default)]
pub struct StoredSession {
    /// Spans, in time order.
    pub spans: Vec<StoredSpan>,
    /// What each declared intent lost (empty lists left out).
    pub losses: Vec<StoredLoss>,
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
        for request in reference::session(variant, &session)? {
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
/// time order, with what its intents lost.
pub async fn fetch(
    client: &clickhouse::Client,
    session: &str,
    variant: Variant,
    timeout: Duration,
) -> Result<StoredSession, DemoError> {
    let expected = reference::span_count(&reference::recorded(variant)?);
    let deadline = Instant::now() + timeout;
    loop {
        let spans = client
            .query(
                "SELECT SpanId, SpanName, Depth, AgentName, ActionKind, ActionName, Verdict, Alignment, Violations, Explanation \
                 FROM spans WHERE SessionId = ? ORDER BY Timestamp, SpanId",
            )
            .bind(session)
            .fetch_all::<StoredSpan>()
            .await
            .unwrap_or_default();
        if spans.len() >= expected {
            let losses = client
                .query(
                    "SELECT SpanId, Lost FROM intents FINAL WHERE SessionId = ? AND notEmpty(Lost)",
                )
                .bind(session)
                .fetch_all::<StoredLoss>()
                .await
                .unwrap_or_default();
            return Ok(StoredSession { spans, losses });
        }
        if Instant::now() >= deadline {
            return Err(DemoError::Timeout(timeout));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// How wide a finding may be before it is cut (at a word boundary).
const FINDING_WIDTH: usize = 110;

/// The span an agent ends at once, right after a declaring span starts, so
/// the collector learns the intent in the first export batch (the exporter's
/// `DECLARE_SPAN_NAME`, step 3 of its attribute recipe). It repeats the
/// declaration it follows, so the report leaves it out.
pub const EARLY_DECLARATION_SPAN: &str = "reshimu.intent.declare";

/// A readable report of one session: a header, one line per span indented by
/// depth, and under each flagged span one line per finding: each broken rule
/// (the `Violations` column), each item a thin contraction lost (the
/// `intents.Lost` column), or the explanation when there is neither. Early
/// declaration copies ([`EARLY_DECLARATION_SPAN`]) are counted, not shown.
///
/// ```
/// use reshimu_collector::demo::{StoredSession, StoredSpan, Variant, report};
/// let span = StoredSpan {
///     span_id: "01".into(), span_name: "DELETE customers".into(), depth: 1, agent: "query-agent".into(), action_kind: "sql".into(),
///     action_name: "DELETE".into(), verdict: "violation".into(), alignment: 0.15,
///     violations: vec!["sql.write: DELETE customers (guard `deny sql write`)".into()],
///     explanation: "Violates sql.write".into(),
/// };
/// let text = report(Variant::Drifted, "s-1", &StoredSession { spans: vec![span], losses: vec![] });
/// assert!(text.contains("      - sql.write: DELETE customers (guard `deny sql write`)"));
/// ```
pub fn report(variant: Variant, session: &str, stored: &StoredSession) -> String {
    let mut out = String::new();
    let spans: Vec<&StoredSpan> = stored
        .spans
        .iter()
        .filter(|s| s.span_name != EARLY_DECLARATION_SPAN)
        .collect();
    let copies = stored.spans.len() - spans.len();
    let _ = writeln!(out, "{} session {session}", variant.as_str());
    let agent_width = spans
        .iter()
        .map(|s| s.agent.len())
        .max()
        .unwrap_or(0)
        .max(5);
    let _ = writeln!(
        out,
        "  {:<9} {:>5}  {:<agent_width$}  action (indented by delegation depth)",
        "verdict", "align", "agent"
    );
    for s in &spans {
        let indent = "  ".repeat(usize::from(s.depth));
        let _ = writeln!(
            out,
            "  {:<9} {:>5.2}  {:<agent_width$}  {indent}{} {}",
            s.verdict, s.alignment, s.agent, s.action_kind, s.action_name
        );
        if s.verdict == "aligned" {
            continue;
        }
        let lost = stored
            .losses
            .iter()
            .filter(|l| l.span_id == s.span_id)
            .flat_map(|l| &l.lost);
        let mut findings: Vec<String> = s.violations.clone();
        findings.extend(lost.map(|item| format!("lost from the root: {item}")));
        if findings.is_empty() && !s.explanation.is_empty() {
            findings.push(s.explanation.clone());
        }
        for finding in findings {
            let _ = writeln!(out, "      - {}", cut_at_word(&finding, FINDING_WIDTH));
        }
    }
    let flagged = spans.iter().filter(|s| s.verdict != "aligned").count();
    let _ = write!(out, "  => {flagged} of {} spans flagged", spans.len());
    if copies > 0 {
        let copy = if copies == 1 { "copy" } else { "copies" };
        let _ = write!(
            out,
            "; not shown: {copies} early declaration {copy} (`{EARLY_DECLARATION_SPAN}`)"
        );
    }
    out.push('\n');
    out
}

/// `text` cut to at most `width` characters at a word boundary, with `…`
/// when anything was cut.
pub fn cut_at_word(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    for word in text.split(' ') {
        let next = if out.is_empty() {
            word.chars().count()
        } else {
            out.chars().count() + 1 + word.chars().count()
        };
        if next > width.saturating_sub(1) {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        // One word longer than the width: cut it, on a character boundary.
        out = text.chars().take(width.saturating_sub(1)).collect();
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, verdict: &str) -> StoredSpan {
        StoredSpan {
            span_id: name.into(),
            span_name: name.into(),
            depth: 1,
            agent: "query-agent".into(),
            action_kind: "agent".into(),
            action_name: "query-agent".into(),
            verdict: verdict.into(),
            alignment: 0.4,
            violations: vec![],
            explanation: "Contraction redefines inactive.".into(),
        }
    }

    #[test]
    fn early_declaration_copies_are_counted_not_shown() {
        let stored = StoredSession {
            spans: vec![
                span("invoke_agent query-agent", "thin"),
                span(EARLY_DECLARATION_SPAN, "thin"),
            ],
            losses: vec![StoredLoss {
                span_id: "invoke_agent query-agent".into(),
                lost: vec!["define inactive = last_login > 90 days".into()],
            }],
        };
        let text = report(Variant::Drifted, "s", &stored);
        assert_eq!(text.matches("thin ").count(), 1, "{text}");
        assert!(
            text.contains("      - lost from the root: define inactive = last_login > 90 days")
        );
        assert!(!text.contains("redefines"), "{text}");
        assert!(
            text.ends_with(
                "=> 1 of 1 spans flagged; not shown: 1 early declaration copy (`reshimu.intent.declare`)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn cuts_at_word_boundaries_only() {
        let text = "We recommend deleting them and sending a win-back discount to each customer";
        let cut = cut_at_word(text, 40);
        assert_eq!(cut, "We recommend deleting them and sending…");
        assert!(cut.chars().count() <= 40);
        assert_eq!(cut_at_word("short", 40), "short");
        assert_eq!(cut_at_word("abcdefghij", 5), "abcd…");
    }
}

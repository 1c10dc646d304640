//! Reads declared intents back from `intents`, for collectors that did not
//! see the declaring span themselves.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use reshimu_intent::spec::IntentSpec;
use serde::Deserialize;

use crate::lineage::lookup::LookupFuture;
use crate::lineage::{Declaration, IntentLookup, SpanKey, span_key};

/// How far up a chain a lookup follows parents, as a guard against cycles
/// written by a misbehaving agent.
const MAX_DEPTH: usize = 32;

/// Looks intents up in ClickHouse, with a timeout per query.
pub struct ClickHouseIntentLookup {
    client: clickhouse::Client,
    timeout: Duration,
}

impl ClickHouseIntentLookup {
    /// A lookup through `client` (already pointed at the database).
    pub fn new(client: clickhouse::Client, timeout: Duration) -> Self {
        Self { client, timeout }
    }

    async fn fetch(&self, ids: &[String]) -> Result<Vec<StoredIntent>, clickhouse::error::Error> {
        let query = self
            .client
            .query(
                "SELECT IntentId, ParentIntentId, SessionId, AgentName, Objective, Scope, Constraints, \
                 Guards, Digest, TraceId, SpanId, DeclaredAt \
                 FROM intents FINAL WHERE IntentId IN ?",
            )
            .bind(ids);
        match tokio::time::timeout(self.timeout, query.fetch_all::<StoredIntent>()).await {
            Ok(result) => result,
            Err(_) => Err(clickhouse::error::Error::TimedOut),
        }
    }
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct StoredIntent {
    #[serde(rename = "IntentId")]
    intent_id: String,
    #[serde(rename = "ParentIntentId")]
    parent_intent_id: String,
    #[serde(rename = "SessionId")]
    session_id: String,
    #[serde(rename = "AgentName")]
    agent_name: String,
    #[serde(rename = "Objective")]
    objective: String,
    #[serde(rename = "Scope")]
    scope: String,
    #[serde(rename = "Constraints")]
    constraints: String,
    #[serde(rename = "Guards")]
    guards: Vec<String>,
    #[serde(rename = "Digest")]
    digest: String,
    #[serde(rename = "TraceId")]
    trace_id: String,
    #[serde(rename = "SpanId")]
    span_id: String,
    #[serde(rename = "DeclaredAt")]
    declared_at: i64,
}

impl StoredIntent {
    fn into_declaration(self) -> Declaration {
        let non_empty = |s: String| (!s.is_empty()).then(|| Arc::<str>::from(s));
        let declared_by = match (hex::decode(&self.trace_id), hex::decode(&self.span_id)) {
            (Ok(t), Ok(s)) => span_key(&t, &s),
            _ => None,
        };
        Declaration {
            intent_id: Arc::from(self.intent_id),
            parent_id: non_empty(self.parent_intent_id),
            spec: IntentSpec {
                objective: self.objective,
                scope: self.scope,
                constraints: self.constraints,
                guards: self.guards,
            },
            claimed_digest: non_empty(self.digest).map(|d| d.to_string()),
            session_id: non_empty(self.session_id),
            agent: non_empty(self.agent_name),
            declared_by,
            declared_at_unix_nano: u64::try_from(self.declared_at).unwrap_or(0),
        }
    }
}

impl IntentLookup for ClickHouseIntentLookup {
    fn span_intents<'a>(
        &'a self,
        spans: &'a [SpanKey],
    ) -> LookupFuture<'a, (SpanKey, Option<Arc<str>>)> {
        Box::pin(async move {
            let traces: Vec<String> = spans.iter().map(|(t, _)| hex::encode(t)).collect();
            let ids: Vec<String> = spans.iter().map(|(_, s)| hex::encode(s)).collect();
            // TraceId first: the bloom filter index on it keeps this off a full scan.
            let query = self
                .client
                .query("SELECT TraceId, SpanId, IntentId FROM spans WHERE TraceId IN ? AND SpanId IN ?")
                .bind(&traces)
                .bind(&ids);
            let rows = match tokio::time::timeout(
                self.timeout,
                query.fetch_all::<(String, String, String)>(),
            )
            .await
            {
                Ok(Ok(rows)) => rows,
                Ok(Err(error)) => {
                    tracing::warn!(%error, spans = spans.len(), "could not look spans up in ClickHouse");
                    return Vec::new();
                }
                Err(_) => {
                    tracing::warn!(spans = spans.len(), "span lookup in ClickHouse timed out");
                    return Vec::new();
                }
            };
            let wanted: HashSet<SpanKey> = spans.iter().copied().collect();
            rows.into_iter()
                .filter_map(|(trace, span, intent)| {
                    let key = span_key(&hex::decode(trace).ok()?, &hex::decode(span).ok()?)?;
                    wanted
                        .contains(&key)
                        .then(|| (key, (!intent.is_empty()).then(|| Arc::from(intent))))
                })
                .collect()
        })
    }

    fn lookup<'a>(&'a self, ids: &'a [Arc<str>]) -> LookupFuture<'a, Declaration> {
        Box::pin(async move {
            let mut found = Vec::new();
            let mut seen: HashSet<String> = HashSet::new();
            let mut wanted: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
            for _ in 0..MAX_DEPTH {
                wanted.retain(|id| seen.insert(id.clone()));
                if wanted.is_empty() {
                    break;
                }
                let rows = match self.fetch(&wanted).await {
                    Ok(rows) => rows,
                    Err(error) => {
                        tracing::warn!(%error, intents = wanted.len(), "could not look intents up in ClickHouse; scoring as orphans");
                        break;
                    }
                };
                wanted = rows
                    .iter()
                    .filter(|r| !r.parent_intent_id.is_empty())
                    .map(|r| r.parent_intent_id.clone())
                    .collect();
                found.extend(rows.into_iter().map(StoredIntent::into_declaration));
            }
            found
        })
    }
}

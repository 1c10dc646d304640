//! The reference session (feature `reference`): the seed scenario run by
//! three agents that talk HTTP with propagated context.
//!
//! - The **coordinator** declares the root intent ("Audit the inactive
//!   customer accounts and prepare a summary"), plans, and delegates.
//! - The **query agent** writes SQL against a small real SQLite database.
//! - The **summarizer** writes the summary.
//!
//! Each delegation is an HTTP `POST /run` carrying W3C `traceparent` and
//! `baggage` headers and a [`Handoff`](crate::Handoff) body; the delegates
//! resume the lineage from them. [`Drift`] injects one kind of failure.
//! [`run_session`] runs everything in one process (the delegates on local
//! ports); the `reference_session` example runs them as three processes.

mod agents;
pub mod db;
mod genai;
mod server;

use std::str::FromStr;

use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;
use reshimu_intent::IntentSpec;
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use agents::{QUERY_AGENT, SUMMARIZER};
pub use genai::MODEL;
pub use server::{Role, run_role, serve};

use crate::{Config, Contraction, Handoff, Mode, Session, propagation};

/// The agent name of the coordinator (root session).
pub const COORDINATOR: &str = "coordinator";

/// One injected failure, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Drift {
    /// The clean session: everything aligned.
    #[default]
    None,
    /// The hand-off to the query agent redefines inactive as 30 days.
    Redefine,
    /// The summary turns into recommendations.
    Recommend,
    /// The query agent deletes the rows it found.
    Delete,
    /// The constraints are dropped in the hand-off to the summarizer.
    DropConstraint,
    /// The summarizer emails the list to an address from nowhere.
    Inject,
}

impl Drift {
    /// Every variant, clean first.
    pub const ALL: [Drift; 6] = [
        Drift::None,
        Drift::Redefine,
        Drift::Recommend,
        Drift::Delete,
        Drift::DropConstraint,
        Drift::Inject,
    ];

    /// The command-line spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Drift::None => "none",
            Drift::Redefine => "redefine",
            Drift::Recommend => "recommend",
            Drift::Delete => "delete",
            Drift::DropConstraint => "drop-constraint",
            Drift::Inject => "inject",
        }
    }
}

impl FromStr for Drift {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Drift::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| ReferenceError::UnknownDrift(s.to_owned()))
    }
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the reference session failed.
#[derive(Debug, Error)]
pub enum ReferenceError {
    /// A session, delegation or check failed (in enforce mode: a refusal).
    #[error(transparent)]
    Session(#[from] crate::Error),
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    /// The database lock was poisoned by a panic.
    #[error("database lock poisoned")]
    Poisoned,
    /// A delegate could not be reached or answered badly.
    #[error("delegate {agent}: {message}")]
    Delegate {
        /// The delegate.
        agent: &'static str,
        /// What went wrong.
        message: String,
    },
    /// A local listener could not be bound or served.
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
    /// The OTLP exporter could not be set up.
    #[error(transparent)]
    Init(#[from] crate::InitError),
    /// Not a drift name.
    #[error(
        "unknown drift `{0}` (expected one of none, redefine, recommend, delete, drop-constraint, inject)"
    )]
    UnknownDrift(String),
}

/// The seed intent of the reference session.
pub fn seed_spec() -> IntentSpec {
    IntentSpec::reference()
}

/// The contraction the coordinator hands the query agent.
fn query_contraction(drift: Drift) -> IntentSpec {
    let root = seed_spec();
    let mut spec = IntentSpec {
        objective: "List the inactive customer accounts from the customers table".into(),
        ..root
    };
    if drift == Drift::Redefine {
        spec.scope = spec.scope.replace("90 days", "30 days");
        spec.guards = vec!["deny sql write".into(), "deny message send".into()];
    }
    spec
}

/// The contraction the coordinator hands the summarizer. With
/// `--drift drop-constraint` the hand-off is a bare task text that keeps the
/// definition but drops the constraints and the read-only boundary.
fn summarizer_contraction(drift: Drift) -> Contraction {
    let objective = "Prepare a summary of the inactive customer accounts found by the audit";
    if drift == Drift::DropConstraint {
        return Contraction::Task(format!(
            "{objective} (inactive = last_login older than 90 days, customers table only)"
        ));
    }
    Contraction::Spec(IntentSpec {
        objective: objective.into(),
        ..seed_spec()
    })
}

/// What a delegate receives in the body of `POST /run`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRequest {
    /// The lineage to resume.
    pub handoff: Handoff,
    /// Rows for the summarizer.
    #[serde(default)]
    pub rows: Vec<db::Customer>,
    /// The failure to inject (a test switch, not part of any protocol).
    #[serde(default)]
    pub drift: Drift,
}

/// What a delegate answers.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunResponse {
    /// Rows found (query agent).
    #[serde(default)]
    pub rows: Vec<db::Customer>,
    /// The summary (summarizer).
    #[serde(default)]
    pub summary: String,
}

/// What a run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The session id.
    pub session_id: String,
    /// The root intent id.
    pub root_intent_id: String,
    /// Rows the query agent returned.
    pub rows: usize,
    /// The final summary.
    pub summary: String,
}

/// Runs the whole session in this process against an OTLP/HTTP endpoint
/// (base URL, e.g. `http://127.0.0.1:4318`), flushing before it returns.
pub async fn run_session(endpoint: &str, drift: Drift) -> Result<Outcome, ReferenceError> {
    let provider = crate::init(
        Config::default()
            .service_name("reshimu-reference")
            .protocol(crate::Protocol::HttpProtobuf)
            .endpoint(endpoint),
    )?;
    let outcome = run_with_provider(&provider, drift).await;
    // The batch exporter sends on its own thread; flushing blocks, so keep it
    // off the async workers.
    let p = provider.clone();
    match tokio::task::spawn_blocking(move || p.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "flushing the reference session's spans failed"),
        Err(e) => tracing::warn!(error = %e, "flushing the reference session's spans failed"),
    }
    outcome
}

/// Runs the whole session in this process with `provider` (the delegates
/// serve HTTP on local ports of this process).
pub async fn run_with_provider(
    provider: &SdkTracerProvider,
    drift: Drift,
) -> Result<Outcome, ReferenceError> {
    let mut urls = Vec::new();
    let mut tasks = Vec::new();
    for role in [Role::QueryAgent, Role::Summarizer] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        urls.push(format!("http://{}", listener.local_addr()?));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let p = provider.clone();
        tasks.push((
            tx,
            tokio::spawn(async move {
                serve(role, listener, p, async {
                    let _ = rx.await;
                })
                .await
            }),
        ));
    }
    let result = coordinate(provider, drift, &urls[0], &urls[1]).await;
    for (tx, task) in tasks {
        let _ = tx.send(());
        let _ = task.await;
    }
    result
}

/// The coordinator: declares the root intent, plans, and delegates to the
/// query agent and the summarizer at the given base URLs.
pub async fn coordinate(
    provider: &SdkTracerProvider,
    drift: Drift,
    query_url: &str,
    summarizer_url: &str,
) -> Result<Outcome, ReferenceError> {
    let tracer: BoxedTracer = BoxedTracer::new(Box::new(provider.tracer(crate::TRACER_NAME)));
    let root = Session::builder(seed_spec())
        .agent(COORDINATOR)
        .mode(Mode::Observe)
        .tracer_provider(provider)
        .start()?;
    {
        let _g = root.attach();
        genai::chat(
            &tracer,
            COORDINATOR,
            &root.spec().objective,
            "Plan: the query agent lists the inactive customer accounts from the customers table; the summarizer prepares the audit summary.",
        );
    }
    let client = reqwest::Client::new();

    let query = root.delegate(QUERY_AGENT, query_contraction(drift))?;
    let found = call(&client, QUERY_AGENT, query_url, &query, Vec::new(), drift).await;
    query.end();
    let found = found?;

    let summarize = root.delegate(SUMMARIZER, summarizer_contraction(drift))?;
    let rows = found.rows.len();
    let summary = call(
        &client,
        SUMMARIZER,
        summarizer_url,
        &summarize,
        found.rows,
        drift,
    )
    .await;
    summarize.end();
    let summary = summary?.summary;

    let outcome = Outcome {
        session_id: root.ids().session_id.to_string(),
        root_intent_id: root.ids().root_id.to_string(),
        rows,
        summary,
    };
    root.end();
    Ok(outcome)
}

/// `POST <base>/run` with the delegation's context in the headers.
async fn call(
    client: &reqwest::Client,
    agent: &'static str,
    base: &str,
    delegation: &Session,
    rows: Vec<db::Customer>,
    drift: Drift,
) -> Result<RunResponse, ReferenceError> {
    let fail = |message: String| ReferenceError::Delegate { agent, message };
    let mut headers = http::HeaderMap::new();
    propagation::inject(delegation.context(), &mut headers);
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&RunRequest {
        handoff: delegation.handoff(),
        rows,
        drift,
    })
    .map_err(|e| fail(e.to_string()))?;
    let response = client
        .post(format!("{}/run", base.trim_end_matches('/')))
        .headers(headers)
        .body(body)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| fail(e.to_string()))?;
    if !status.is_success() {
        return Err(fail(format!(
            "HTTP {status}: {}",
            String::from_utf8_lossy(&bytes)
        )));
    }
    serde_json::from_slice(&bytes).map_err(|e| fail(e.to_string()))
}

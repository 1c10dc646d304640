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
//! resume the lineage from them. [`Drift`] injects one kind of failure, or
//! every one at once ([`Drift::Every`]). [`Topology`] says who delegates to
//! whom: the coordinator to both delegates in one trace ([`Topology::Star`]),
//! or a chain coordinator -> query agent -> summarizer whose last hop starts a
//! trace of its own, linked to its caller's ([`Topology::Chain`], the
//! collector's `demo` replays this one). [`run_session`] and [`run_scenario`]
//! run everything in one process (the delegates on local ports, one tracer
//! provider and service per agent); the `reference_session` example runs them
//! as three processes.

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
pub use server::{JOB_SPAN_NAME, Role, run_role, serve};

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
    /// Every failure above in one session.
    Every,
}

impl Drift {
    /// Every variant, clean first.
    pub const ALL: [Drift; 7] = [
        Drift::None,
        Drift::Redefine,
        Drift::Recommend,
        Drift::Delete,
        Drift::DropConstraint,
        Drift::Inject,
        Drift::Every,
    ];

    /// Whether this run injects `failure` (itself, or [`Drift::Every`]).
    ///
    /// ```
    /// use reshimu_exporter::reference::Drift;
    /// assert!(Drift::Every.injects(Drift::Delete));
    /// assert!(Drift::Delete.injects(Drift::Delete));
    /// assert!(!Drift::Recommend.injects(Drift::Delete));
    /// assert!(!Drift::Every.injects(Drift::None));
    /// ```
    pub fn injects(self, failure: Drift) -> bool {
        failure != Drift::None && (self == failure || self == Drift::Every)
    }

    /// The command-line spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Drift::None => "none",
            Drift::Redefine => "redefine",
            Drift::Recommend => "recommend",
            Drift::Delete => "delete",
            Drift::DropConstraint => "drop-constraint",
            Drift::Inject => "inject",
            Drift::Every => "every",
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

/// Who delegates to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Topology {
    /// The coordinator delegates to the query agent, then to the summarizer
    /// (both at depth 1); every call continues the coordinator's trace.
    #[default]
    Star,
    /// The coordinator delegates to the query agent, which delegates to the
    /// summarizer (depth 2). The summarizer runs its work as a job of its own:
    /// a new trace, linked to the query agent's delegation span (the OTel way
    /// for work that outlives its caller or crosses a trust boundary), so the
    /// lineage crosses traces through a span link.
    Chain,
}

impl Topology {
    /// The command-line spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Topology::Star => "star",
            Topology::Chain => "chain",
        }
    }
}

impl FromStr for Topology {
    type Err = ReferenceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Topology::Star, Topology::Chain]
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| ReferenceError::UnknownTopology(s.to_owned()))
    }
}

/// One run of the reference session: which failures, which shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct Scenario {
    /// The failures injected.
    #[serde(default)]
    pub drift: Drift,
    /// Who delegates to whom.
    #[serde(default)]
    pub topology: Topology,
}

impl Scenario {
    /// `drift` in the star topology (what [`run_session`] runs).
    pub const fn star(drift: Drift) -> Scenario {
        Scenario {
            drift,
            topology: Topology::Star,
        }
    }

    /// `drift` in the chain topology.
    pub const fn chain(drift: Drift) -> Scenario {
        Scenario {
            drift,
            topology: Topology::Chain,
        }
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
        "unknown drift `{0}` (expected one of none, redefine, recommend, delete, drop-constraint, inject, every)"
    )]
    UnknownDrift(String),
    /// Not a topology name.
    #[error("unknown topology `{0}` (expected star or chain)")]
    UnknownTopology(String),
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
    if drift.injects(Drift::Redefine) {
        spec.scope = spec.scope.replace("90 days", "30 days");
        spec.guards = vec!["deny sql write".into(), "deny message send".into()];
    }
    spec
}

/// The contraction the summarizer is handed (by the coordinator, or by the
/// query agent in the chain). With `--drift drop-constraint` the hand-off is a
/// bare task text that keeps the definition but drops the constraints and the
/// read-only boundary.
pub(crate) fn summarizer_contraction(drift: Drift) -> Contraction {
    let objective = "Prepare a summary of the inactive customer accounts found by the audit";
    if drift.injects(Drift::DropConstraint) {
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
    /// The failures to inject and the shape of the run (a test switch, not
    /// part of any protocol).
    #[serde(default)]
    pub scenario: Scenario,
    /// In the chain: where the query agent finds the summarizer it delegates to.
    #[serde(default)]
    pub summarizer_url: Option<String>,
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
/// (base URL, e.g. `http://127.0.0.1:4318`), star topology, flushing before
/// it returns.
pub async fn run_session(endpoint: &str, drift: Drift) -> Result<Outcome, ReferenceError> {
    run_scenario(endpoint, Scenario::star(drift)).await
}

/// Runs `scenario` in this process against an OTLP/HTTP endpoint, each agent
/// with its own tracer provider and service `reshimu-reference-<agent>` (as
/// the three-process example does), and flushes the delegates first, the
/// summarizer's spans before the query agent's before the coordinator's, in
/// the order their spans end.
pub async fn run_scenario(endpoint: &str, scenario: Scenario) -> Result<Outcome, ReferenceError> {
    let mut providers = Vec::new();
    for agent in [COORDINATOR, QUERY_AGENT, SUMMARIZER] {
        providers.push(crate::init(
            Config::default()
                .service_name(format!("reshimu-reference-{agent}"))
                .protocol(crate::Protocol::HttpProtobuf)
                .endpoint(endpoint),
        )?);
    }
    let outcome = run_with_providers(
        Providers {
            coordinator: &providers[0],
            query_agent: &providers[1],
            summarizer: &providers[2],
        },
        scenario,
    )
    .await;
    for provider in providers.into_iter().rev() {
        // The batch exporter sends on its own thread; flushing blocks, so keep
        // it off the async workers.
        match tokio::task::spawn_blocking(move || provider.shutdown()).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "flushing the reference session's spans failed")
            }
            Err(e) => tracing::warn!(error = %e, "flushing the reference session's spans failed"),
        }
    }
    outcome
}

/// The tracer provider of each agent of an in-process run.
#[derive(Debug, Clone, Copy)]
pub struct Providers<'a> {
    /// The coordinator's.
    pub coordinator: &'a SdkTracerProvider,
    /// The query agent's.
    pub query_agent: &'a SdkTracerProvider,
    /// The summarizer's.
    pub summarizer: &'a SdkTracerProvider,
}

impl<'a> Providers<'a> {
    /// One provider for all three agents.
    pub fn shared(provider: &'a SdkTracerProvider) -> Providers<'a> {
        Providers {
            coordinator: provider,
            query_agent: provider,
            summarizer: provider,
        }
    }
}

/// Runs `scenario` in this process with `providers` (the delegates serve HTTP
/// on local ports of this process).
pub async fn run_with_providers(
    providers: Providers<'_>,
    scenario: Scenario,
) -> Result<Outcome, ReferenceError> {
    let mut urls = Vec::new();
    let mut tasks = Vec::new();
    for (role, provider) in [
        (Role::QueryAgent, providers.query_agent),
        (Role::Summarizer, providers.summarizer),
    ] {
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
    let result = coordinate_scenario(providers.coordinator, scenario, &urls[0], &urls[1]).await;
    for (tx, task) in tasks {
        let _ = tx.send(());
        let _ = task.await;
    }
    result
}

/// The coordinator in the star topology; see [`coordinate_scenario`].
pub async fn coordinate(
    provider: &SdkTracerProvider,
    drift: Drift,
    query_url: &str,
    summarizer_url: &str,
) -> Result<Outcome, ReferenceError> {
    coordinate_scenario(provider, Scenario::star(drift), query_url, summarizer_url).await
}

/// The coordinator: declares the root intent, plans, and delegates to the
/// query agent and (star) the summarizer at the given base URLs; in the
/// chain, the query agent delegates to the summarizer itself.
pub async fn coordinate_scenario(
    provider: &SdkTracerProvider,
    scenario: Scenario,
    query_url: &str,
    summarizer_url: &str,
) -> Result<Outcome, ReferenceError> {
    let drift = scenario.drift;
    let chain = scenario.topology == Topology::Chain;
    let tracer: BoxedTracer = BoxedTracer::new(Box::new(provider.tracer(crate::TRACER_NAME)));
    let root = Session::builder(seed_spec())
        .agent(COORDINATOR)
        .mode(Mode::Observe)
        .tracer_provider(provider)
        .start()?;
    {
        let _g = root.attach();
        let plan = if chain {
            "Plan: the query agent lists the inactive customer accounts from the customers table and has the summarizer prepare the audit summary."
        } else {
            "Plan: the query agent lists the inactive customer accounts from the customers table; the summarizer prepares the audit summary."
        };
        genai::chat(&tracer, COORDINATOR, &root.spec().objective, plan);
    }
    let client = reqwest::Client::new();

    let query = root.delegate(QUERY_AGENT, query_contraction(drift))?;
    let request = RunRequest {
        handoff: query.handoff(),
        rows: Vec::new(),
        scenario,
        summarizer_url: chain.then(|| summarizer_url.to_owned()),
    };
    let found = call(&client, QUERY_AGENT, query_url, &query, &request).await;
    query.end();
    let found = found?;
    let rows = found.rows.len();

    let summary = if chain {
        found.summary
    } else {
        let summarize = root.delegate(SUMMARIZER, summarizer_contraction(drift))?;
        let request = RunRequest {
            handoff: summarize.handoff(),
            rows: found.rows,
            scenario,
            summarizer_url: None,
        };
        let summary = call(&client, SUMMARIZER, summarizer_url, &summarize, &request).await;
        summarize.end();
        summary?.summary
    };

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
pub(crate) async fn call(
    client: &reqwest::Client,
    agent: &'static str,
    base: &str,
    delegation: &Session,
    request: &RunRequest,
) -> Result<RunResponse, ReferenceError> {
    let fail = |message: String| ReferenceError::Delegate { agent, message };
    let mut headers = http::HeaderMap::new();
    propagation::inject(delegation.context(), &mut headers);
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(request).map_err(|e| fail(e.to_string()))?;
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

//! The delegates' HTTP side: `POST /run` resumes the lineage from the W3C
//! headers and the handoff, does the work (in the chain, the query agent
//! delegates on to the summarizer), answers JSON.

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use opentelemetry::Context;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::{
    Link, SpanKind, TraceContextExt as _, Tracer as _, TracerProvider as _,
};
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::agents::{self, QUERY_AGENT, SUMMARIZER};
use super::{
    Drift, ReferenceError, RunRequest, RunResponse, Topology, call, db, summarizer_contraction,
};
use crate::{Session, propagation};

/// Which delegate a process (or task) serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The query agent.
    QueryAgent,
    /// The summarizer.
    Summarizer,
}

impl Role {
    /// The agent name.
    pub const fn agent(self) -> &'static str {
        match self {
            Role::QueryAgent => QUERY_AGENT,
            Role::Summarizer => SUMMARIZER,
        }
    }
}

struct AgentState {
    role: Role,
    provider: SdkTracerProvider,
    tracer: BoxedTracer,
    db: Mutex<rusqlite::Connection>,
}

/// Serves `role` on `listener` until `shutdown` completes.
pub async fn serve(
    role: Role,
    listener: tokio::net::TcpListener,
    provider: SdkTracerProvider,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ReferenceError> {
    let state = Arc::new(AgentState {
        role,
        tracer: BoxedTracer::new(Box::new(provider.tracer(crate::TRACER_NAME))),
        provider,
        db: Mutex::new(db::open()?),
    });
    let app = Router::new().route("/run", post(run)).with_state(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

async fn run(
    State(state): State<Arc<AgentState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, String) {
    let request: RunRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return (StatusCode::BAD_REQUEST, e.to_string()),
    };
    match handle(state, &headers, request).await {
        Ok(response) => match serde_json::to_string(&response) {
            Ok(json) => (StatusCode::OK, json),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Err((status, message)) => (status, message),
    }
}

/// Resumes the session, does the role's work and, for the query agent in the
/// chain, delegates to the summarizer.
async fn handle(
    state: Arc<AgentState>,
    headers: &HeaderMap,
    request: RunRequest,
) -> Result<RunResponse, (StatusCode, String)> {
    let refused = |e: ReferenceError| (StatusCode::UNPROCESSABLE_ENTITY, e.to_string());
    let scenario = request.scenario;
    let parent = parent_context(&state, headers, scenario.topology);
    let session = Session::resume(request.handoff)
        .agent(state.role.agent())
        .parent(parent)
        .tracer_provider(&state.provider)
        .start()
        .map_err(|e| refused(e.into()))?;
    // The work is short and synchronous (SQLite); it runs on a blocking
    // thread so the context guard never crosses an await.
    let worker = Arc::clone(&state);
    let rows = request.rows;
    let (session, worked) = tokio::task::spawn_blocking(move || {
        let worked = work(&worker, &session, &rows, scenario.drift);
        (session, worked)
    })
    .await
    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let mut response = worked.map_err(refused)?;
    if let (Role::QueryAgent, Some(url)) = (state.role, request.summarizer_url) {
        let summarize = session
            .delegate(SUMMARIZER, summarizer_contraction(scenario.drift))
            .map_err(|e| refused(e.into()))?;
        let next = RunRequest {
            handoff: summarize.handoff(),
            rows: response.rows.clone(),
            scenario,
            summarizer_url: None,
        };
        let summary = call(&reqwest::Client::new(), SUMMARIZER, &url, &summarize, &next).await;
        summarize.end();
        response.summary = summary
            .map_err(|e| (StatusCode::BAD_GATEWAY, e.to_string()))?
            .summary;
    }
    session.end();
    Ok(response)
}

/// The context the delegate's session starts under: the caller's (W3C
/// headers), except for the summarizer in the chain, which runs its work as a
/// job of its own: a new trace whose first span links to the caller's span,
/// as OpenTelemetry does for work that outlives its caller or crosses a trust
/// boundary. That job span carries no intent: the collector finds it through
/// the link.
fn parent_context(state: &AgentState, headers: &HeaderMap, topology: Topology) -> Context {
    let caller = propagation::extract(headers);
    if state.role != Role::Summarizer || topology != Topology::Chain {
        return caller;
    }
    let linked = caller.span().span_context().clone();
    let job = state
        .tracer
        .span_builder(JOB_SPAN_NAME)
        .with_kind(SpanKind::Consumer)
        .with_links(vec![Link::with_context(linked)])
        .start_with_context(&state.tracer, &Context::new());
    Context::new().with_span(job)
}

/// The first span of the summarizer's own trace in the chain.
pub const JOB_SPAN_NAME: &str = "summarizer job";

fn work(
    state: &AgentState,
    session: &Session,
    rows: &[db::Customer],
    drift: Drift,
) -> Result<RunResponse, ReferenceError> {
    Ok(match state.role {
        Role::QueryAgent => RunResponse {
            rows: agents::query_agent(session, &state.tracer, &state.db, drift)?,
            summary: String::new(),
        },
        Role::Summarizer => RunResponse {
            rows: Vec::new(),
            summary: agents::summarizer(session, &state.tracer, rows, drift)?,
        },
    })
}

/// Runs `role` as its own process: exports to `endpoint` (OTLP/HTTP base
/// URL) as service `reshimu-reference-<agent>`, binds `listen`, prints
/// `listening on <addr>` on stdout, and serves until stdin closes (the
/// parent's way to stop it), then flushes its spans.
pub async fn run_role(role: Role, endpoint: &str, listen: &str) -> Result<(), ReferenceError> {
    let provider = crate::init(
        crate::Config::default()
            .service_name(format!("reshimu-reference-{}", role.agent()))
            .protocol(crate::Protocol::HttpProtobuf)
            .endpoint(endpoint),
    )?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    println!("listening on {}", listener.local_addr()?);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        // Any read result (EOF, error) means the parent is gone or done.
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut Vec::new());
        let _ = tx.send(());
    });
    let served = serve(role, listener, provider.clone(), async {
        let _ = rx.await;
    })
    .await;
    let p = provider.clone();
    match tokio::task::spawn_blocking(move || p.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "flushing spans failed"),
        Err(e) => tracing::warn!(error = %e, "flushing spans failed"),
    }
    served
}

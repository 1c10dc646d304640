//! The delegates' HTTP side: `POST /run` resumes the lineage from the W3C
//! headers and the handoff, does the work, answers JSON.

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use opentelemetry::global::BoxedTracer;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::SdkTracerProvider;

use super::agents::{self, QUERY_AGENT, SUMMARIZER};
use super::{ReferenceError, RunRequest, RunResponse, db};
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
    // The work is short and synchronous (SQLite); it runs on a blocking
    // thread so the context guard never crosses an await.
    let result = tokio::task::spawn_blocking(move || work(&state, &headers, request)).await;
    match result {
        Ok(Ok(response)) => match serde_json::to_string(&response) {
            Ok(json) => (StatusCode::OK, json),
            Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        },
        Ok(Err(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

fn work(
    state: &AgentState,
    headers: &HeaderMap,
    request: RunRequest,
) -> Result<RunResponse, ReferenceError> {
    let parent = propagation::extract(headers);
    let session = Session::resume(request.handoff)
        .agent(state.role.agent())
        .parent(parent)
        .tracer_provider(&state.provider)
        .start()?;
    let response = match state.role {
        Role::QueryAgent => RunResponse {
            rows: agents::query_agent(&session, &state.tracer, &state.db, request.drift)?,
            summary: String::new(),
        },
        Role::Summarizer => RunResponse {
            rows: Vec::new(),
            summary: agents::summarizer(&session, &state.tracer, &request.rows, request.drift)?,
        },
    };
    session.end();
    Ok(response)
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

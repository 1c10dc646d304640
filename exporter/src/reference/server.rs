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

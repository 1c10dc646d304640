//! The self-telemetry HTTP endpoint: `/metrics`, `/healthz`, `/readyz`.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::{Telemetry, TelemetryError};

/// The running telemetry endpoint.
#[derive(Debug)]
pub struct TelemetryServer {
    local_addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl TelemetryServer {
    /// Binds `listen` (`host:port`) and serves until [`TelemetryServer::shutdown`].
    pub async fn start(listen: &str, telemetry: Telemetry) -> Result<Self, TelemetryError> {
        let bind_err = |source| TelemetryError::Bind {
            endpoint: listen.to_owned(),
            source,
        };
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(bind_err)?;
        let local_addr = listener.local_addr().map_err(bind_err)?;
        let app = Router::new()
            .route("/metrics", get(metrics))
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(telemetry);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
            if let Err(e) = served {
                tracing::error!(error = %e, "telemetry endpoint stopped");
            }
        });
        tracing::info!(%local_addr, "telemetry endpoint listening");
        Ok(Self {
            local_addr,
            stop,
            task,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

async fn metrics(State(telemetry): State<Telemetry>) -> Response {
    match telemetry.encode() {
        Ok(text) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(telemetry): State<Telemetry>) -> Response {
    let health = telemetry.health();
    let bound = health.receivers_ready();
    let ready = health.ready();
    let body = serde_json::json!({
        "ready": ready,
        "receivers": if bound { "bound" } else { "not_bound" },
        "clickhouse": health.clickhouse().as_str(),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

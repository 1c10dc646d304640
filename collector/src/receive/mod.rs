//! OTLP receivers: gRPC (default `127.0.0.1:4317`) and HTTP (`127.0.0.1:4318`).
//!
//! Both decode a request once, drop invalid spans alone (partial success),
//! and acknowledge only what [`Admission::submit`] accepted (queued, or on
//! disk with the spool). Refusals follow
//! the OTLP specification: 400/`INVALID_ARGUMENT` for a malformed body,
//! 401/`UNAUTHENTICATED`, 413/`RESOURCE_EXHAUSTED` for oversize (also after
//! decompression), 415 for an unknown content type, 429/`RESOURCE_EXHAUSTED`
//! with `Retry-After` when the queue is full and 503/`UNAVAILABLE` while
//! shutting down.

mod auth;
mod body;
mod conn;
mod grpc;
mod http;
mod intake;
mod json;
mod serve;
pub mod status;
mod tls;
mod validate;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::config::ReceiversConfig;
use crate::queue::{Admission, MemoryBudget};
use crate::telemetry::Telemetry;
use auth::BearerAuth;
use conn::ConnectionLimits;
use intake::Intake;
use tls::{TlsFiles, TlsListener};

/// Decodes an OTLP/HTTP body the way the HTTP receiver does (protobuf, or
/// OTLP/JSON when `json`), then drops the spans the receivers reject alone
/// (bad ids, start times ClickHouse cannot store). Returns the request and
/// how many spans were rejected; `Err` is the 400 message. Public for the
/// fuzz targets and for tools that read OTLP like the collector does.
pub fn decode_request(
    body: &[u8],
    json: bool,
) -> Result<
    (
        opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest,
        usize,
    ),
    String,
> {
    use prost::Message;
    let (mut request, rejected) = if json {
        json::decode(body)?
    } else {
        let request =
            opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest::decode(
                body,
            )
            .map_err(|e| format!("invalid OTLP protobuf: {e}"))?;
        (request, validate::Rejected::default())
    };
    let more = validate::retain_valid(&mut request);
    Ok((request, rejected.count + more.count))
}

/// How long [`Receivers::shutdown`] lets in-flight requests finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the receivers could not start.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// A listening socket could not be bound.
    #[error("cannot listen on {endpoint} ({protocol}): {source}")]
    Bind {
        /// `grpc` or `http`.
        protocol: &'static str,
        /// The configured address.
        endpoint: String,
        /// The socket error.
        source: std::io::Error,
    },
    /// The TLS certificate or key is unusable.
    #[error("TLS: {message}")]
    Tls {
        /// What is wrong.
        message: String,
    },
}

/// The running receivers.
#[derive(Debug)]
pub struct Receivers {
    intake: Arc<Intake>,
    grpc: Option<Server>,
    http: Option<Server>,
}

#[derive(Debug)]
struct Server {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Receivers {
    /// Binds the enabled receivers and starts serving. Returns once both
    /// sockets are bound (so their addresses are known, even for port 0) and
    /// marks the collector ready.
    pub async fn start(
        config: &ReceiversConfig,
        queue: impl Into<Admission>,
        telemetry: Telemetry,
    ) -> Result<Receivers, ReceiveError> {
        Self::start_with_budget(
            config,
            queue,
            telemetry,
            MemoryBudget::unlimited(),
            Duration::from_secs(1),
        )
        .await
    }

    /// [`Receivers::start`], with every request reserving its memory in
    /// `budget` before it is read and decoded; a full budget is answered
    /// 429 / `RESOURCE_EXHAUSTED` with `retry_after`.
    pub async fn start_with_budget(
        config: &ReceiversConfig,
        queue: impl Into<Admission>,
        telemetry: Telemetry,
        budget: MemoryBudget,
        retry_after: Duration,
    ) -> Result<Receivers, ReceiveError> {
        let intake = Arc::new(Intake::new(
            queue.into(),
            telemetry.clone(),
            BearerAuth::new(config.auth.bearer_token.expose()),
            config.max_request_bytes,
            budget,
            retry_after,
            config.body_timeout,
        ));
        let tls = config
            .tls
            .files()
            .map(|(cert, key)| TlsFiles::read(cert, key))
            .transpose()?;
        let grpc = if config.grpc.enabled {
            Some(start_grpc(config, Arc::clone(&intake), tls.as_ref()).await?)
        } else {
            None
        };
        let http = if config.http.enabled {
            Some(start_http(config, Arc::clone(&intake), tls.as_ref()).await?)
        } else {
            None
        };
        telemetry.health().set_receivers_ready(true);
        Ok(Receivers { intake, grpc, http })
    }

    /// The bound gRPC address, when that receiver is enabled.
    pub fn grpc_addr(&self) -> Option<SocketAddr> {
        self.grpc.as_ref().map(|s| s.addr)
    }

    /// The bound HTTP address, when that receiver is enabled.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http.as_ref().map(|s| s.addr)
    }

    /// Stops accepting, answers new requests "unavailable", lets in-flight
    /// ones finish (up to a drain timeout) and releases the queue sender so
    /// the pipeline can drain to the end.
    pub async fn shutdown(self) {
        self.shutdown_by(tokio::time::Instant::now() + DRAIN_TIMEOUT)
            .await;
    }

    /// [`Receivers::shutdown`], with in-flight requests cut at `deadline`.
    pub async fn shutdown_by(self, deadline: tokio::time::Instant) {
        self.intake.close();
        self.intake.telemetry.health().set_receivers_ready(false);
        let servers: Vec<Server> = [self.grpc, self.http].into_iter().flatten().collect();
        // Signal both first so they drain concurrently, then wait for each.
        let mut running = Vec::with_capacity(servers.len());
        for server in servers {
            let _ = server.stop.send(());
            running.push((server.addr, server.task));
        }
        for (addr, task) in running {
            let abort = task.abort_handle();
            if tokio::time::timeout_at(deadline, task).await.is_err() {
                tracing::warn!(%addr, "receiver did not drain in time; closing its connections");
                abort.abort();
            }
        }
        tracing::info!("receivers stopped");
    }
}

async fn bind(
    protocol: &'static str,
    endpoint: &str,
) -> Result<(TcpListener, SocketAddr), ReceiveError> {
    let err = |source| ReceiveError::Bind {
        protocol,
        endpoint: endpoint.to_owned(),
        source,
    };
    let listener = TcpListener::bind(endpoint).await.map_err(err)?;
    let addr = listener.local_addr().map_err(err)?;
    Ok((listener, addr))
}

async fn start_grpc(
    config: &ReceiversConfig,
    intake: Arc<Intake>,
    tls: Option<&TlsFiles>,
) -> Result<Server, ReceiveError> {
    let endpoint = config.grpc.endpoint.as_str();
    let (listener, addr) = bind("grpc", endpoint).await?;
    // The whole call, body included, within body_timeout.
    let mut builder = tonic::transport::Server::builder().timeout(config.body_timeout);
    if let Some(tls) = tls {
        builder = builder
            .tls_config(tonic::transport::ServerTlsConfig::new().identity(tls.identity()))
            .map_err(|e| ReceiveError::Tls {
                message: e.to_string(),
            })?;
    }
    let limits = ConnectionLimits::new(
        config.max_connections,
        config.idle_timeout,
        crate::telemetry::Protocol::Grpc,
        intake.telemetry.clone(),
    );
    let router = builder
        .layer(tower::util::MapResponseLayer::new(
            grpc::client_error_status(Arc::clone(&intake)),
        ))
        .add_service(grpc::service(intake));
    let incoming = conn::GuardedIncoming { listener, limits };
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let signal = async {
            let _ = stopped.await;
        };
        if let Err(e) = router.serve_with_incoming_shutdown(incoming, signal).await {
            tracing::error!(error = %e, "OTLP/gRPC receiver failed");
        }
    });
    tracing::info!(%addr, tls = tls.is_some(), "OTLP/gRPC receiver listening");
    Ok(Server { addr, stop, task })
}

async fn start_http(
    config: &ReceiversConfig,
    intake: Arc<Intake>,
    tls: Option<&TlsFiles>,
) -> Result<Server, ReceiveError> {
    let endpoint = config.http.endpoint.as_str();
    let (listener, addr) = bind("http", endpoint).await?;
    let limits = ConnectionLimits::new(
        config.max_connections,
        config.idle_timeout,
        crate::telemetry::Protocol::Http,
        intake.telemetry.clone(),
    );
    let app = http::router(intake);
    let (stop, stopped) = oneshot::channel::<()>();
    let header_timeout = config.header_timeout;
    let task = match tls {
        None => tokio::spawn(serve::serve(listener, app, limits, header_timeout, stopped)),
        Some(tls) => {
            let listener = TlsListener::new(listener, tls.acceptor()?).map_err(|source| {
                ReceiveError::Bind {
                    protocol: "http",
                    endpoint: endpoint.to_owned(),
                    source,
                }
            })?;
            tokio::spawn(serve::serve(listener, app, limits, header_timeout, stopped))
        }
    };
    tracing::info!(%addr, tls = tls.is_some(), "OTLP/HTTP receiver listening");
    Ok(Server { addr, stop, task })
}

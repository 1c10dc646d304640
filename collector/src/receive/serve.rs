//! The HTTP server loop: every connection guarded (see `conn`), HTTP/1
//! headers read within `header_timeout`, graceful shutdown on signal.
//!
//! Hand-written over hyper-util rather than `axum::serve`, which sets no
//! timer and so no header read timeout: a client trickling its headers a
//! byte at a time (slowloris) held its connection as long as it liked.

use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::conn::ConnectionLimits;

/// Serves `app` on `listener` until `stop` fires, then lets open requests
/// finish. Aborting the task that runs this closes every connection.
pub(crate) async fn serve<L>(
    mut listener: L,
    app: Router,
    limits: ConnectionLimits,
    header_timeout: Duration,
    stop: oneshot::Receiver<()>,
) where
    L: axum::serve::Listener,
{
    let (closing, closing_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (io, _peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = &mut stop => break,
        };
        while connections.try_join_next().is_some() {}
        let Some(io) = limits.admit(io) else {
            continue;
        };
        let service = TowerToHyperService::new(app.clone());
        let mut closing = closing_rx.clone();
        let telemetry = limits.clone();
        connections.spawn(async move {
            let mut builder = Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection(TokioIo::new(io), service);
            let mut conn = std::pin::pin!(conn);
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(error) = result {
                            if error
                                .downcast_ref::<hyper::Error>()
                                .is_some_and(hyper::Error::is_timeout)
                            {
                                telemetry.timed_out("header");
                            }
                            tracing::debug!(%error, "HTTP connection ended with an error");
                        }
                        break;
                    }
                    _ = closing.changed() => conn.as_mut().graceful_shutdown(),
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    while connections.join_next().await.is_some() {}
}

impl ConnectionLimits {
    /// Counts a connection closed by a timeout of `kind`.
    pub(crate) fn timed_out(&self, kind: &'static str) {
        self.telemetry().connection_timed_out(self.protocol(), kind);
    }
}

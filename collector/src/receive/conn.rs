//! Connections: a bound per receiver, and an idle timeout, so idle or
//! trickling clients cannot take every file descriptor (which used to make
//! both receivers and `/healthz` time out).
//!
//! [`Admission::admit`] hands out a [`Guarded`] connection while fewer than
//! `max_connections` are open and refuses (closes) the rest; a guarded
//! connection that moves no byte either way for `idle_timeout` fails its
//! next read, which makes the HTTP or gRPC server close it. Header and body
//! read timeouts sit in the HTTP server and handler (`serve.rs`, `http.rs`).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::telemetry::{Protocol, Telemetry};

/// The connection bounds of one receiver.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionLimits {
    slots: Arc<Semaphore>,
    idle: Duration,
    protocol: Protocol,
    telemetry: Telemetry,
}

impl ConnectionLimits {
    pub fn new(max: usize, idle: Duration, protocol: Protocol, telemetry: Telemetry) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max.max(1))),
            idle,
            protocol,
            telemetry,
        }
    }

    pub fn telemetry(&self) -> &Telemetry {
        &self.telemetry
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    /// The connection, guarded, or `None` (and it is closed, counted) when
    /// the receiver is at `max_connections`.
    pub fn admit<IO>(&self, io: IO) -> Option<Guarded<IO>> {
        let Ok(permit) = Arc::clone(&self.slots).try_acquire_owned() else {
            self.telemetry.connection_refused(self.protocol);
            tracing::debug!(protocol = %self.protocol, "max_connections reached; connection closed");
            return None;
        };
        self.telemetry.connection_opened(self.protocol);
        Some(Guarded {
            io,
            _permit: permit,
            idle: self.idle,
            timer: Box::pin(tokio::time::sleep(self.idle)),
            protocol: self.protocol,
            telemetry: self.telemetry.clone(),
        })
    }
}

/// A connection holding its slot, closed when idle for too long.
#[derive(Debug)]
pub(crate) struct Guarded<IO> {
    io: IO,
    _permit: OwnedSemaphorePermit,
    idle: Duration,
    timer: Pin<Box<Sleep>>,
    protocol: Protocol,
    telemetry: Telemetry,
}

impl<IO> Guarded<IO> {
    fn active(&mut self) {
        self.timer.as_mut().reset(Instant::now() + self.idle);
    }

    fn idle_expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.timer.as_mut().poll(cx).is_ready()
    }
}

impl<IO> Drop for Guarded<IO> {
    fn drop(&mut self) {
        self.telemetry.connection_closed(self.protocol);
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.io).poll_read(cx, buf) {
            Poll::Ready(result) => {
                if buf.filled().len() > before {
                    self.active();
                }
                Poll::Ready(result)
            }
            Poll::Pending => {
                if self.idle_expired(cx) {
                    self.telemetry.connection_timed_out(self.protocol, "idle");
                    Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "connection idle for longer than idle_timeout",
                    )))
                } else {
                    Poll::Pending
                }
            }
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.active();
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.active();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

impl<IO: tonic::transport::server::Connected> tonic::transport::server::Connected for Guarded<IO> {
    type ConnectInfo = IO::ConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

/// Accepted gRPC connections, guarded: the stream tonic serves.
pub(crate) struct GuardedIncoming {
    pub listener: tokio::net::TcpListener,
    pub limits: ConnectionLimits,
}

impl futures_core::Stream for GuardedIncoming {
    type Item = io::Result<Guarded<tokio::net::TcpStream>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match this.listener.poll_accept(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(Ok((stream, _peer))) => {
                    let _ = stream.set_nodelay(true);
                    if let Some(guarded) = this.limits.admit(stream) {
                        return Poll::Ready(Some(Ok(guarded)));
                    }
                }
            }
        }
    }
}

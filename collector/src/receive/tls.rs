//! TLS for both receivers, from PEM files.

use std::path::Path;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::server::TlsStream;

use super::ReceiveError;

/// Certificate chain and key, as read from disk.
#[derive(Clone)]
pub(crate) struct TlsFiles {
    pub cert_pem: Vec<u8>,
    pub key_pem: Vec<u8>,
}

impl TlsFiles {
    pub fn read(cert: &Path, key: &Path) -> Result<Self, ReceiveError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| ReceiveError::Tls {
                message: format!("cannot read {}: {source}", path.display()),
            })
        };
        Ok(Self {
            cert_pem: read(cert)?,
            key_pem: read(key)?,
        })
    }

    /// The rustls acceptor for the HTTP receiver.
    pub fn acceptor(&self) -> Result<TlsAcceptor, ReceiveError> {
        let tls_err = |message: String| ReceiveError::Tls { message };
        let certs = rustls_pemfile::certs(&mut self.cert_pem.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| tls_err(format!("invalid certificate PEM: {e}")))?;
        if certs.is_empty() {
            return Err(tls_err("no certificate in cert_file".into()));
        }
        let key = rustls_pemfile::private_key(&mut self.key_pem.as_slice())
            .map_err(|e| tls_err(format!("invalid key PEM: {e}")))?
            .ok_or_else(|| tls_err("no private key in key_file".into()))?;
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_err(format!("certificate and key do not form an identity: {e}")))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }

    /// The identity for tonic.
    pub fn identity(&self) -> tonic::transport::Identity {
        tonic::transport::Identity::from_pem(&self.cert_pem, &self.key_pem)
    }
}

/// A listener yielding TLS streams for `axum::serve`.
///
/// Handshakes run in their own tasks so one slow client cannot hold up the
/// accept loop; finished streams arrive through a channel.
pub(crate) struct TlsListener {
    local_addr: std::net::SocketAddr,
    ready: mpsc::Receiver<(TlsStream<TcpStream>, std::net::SocketAddr)>,
    acceptor_task: JoinHandle<()>,
}

/// Longest a client may take to complete its handshake.
const HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl TlsListener {
    pub fn new(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<Self> {
        let local_addr = listener.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor_task = tokio::spawn(async move {
            loop {
                let (tcp, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Usually out of file descriptors: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(stream)) => {
                            let _ = tx.send((stream, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self {
            local_addr,
            ready,
            acceptor_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.acceptor_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(accepted) => accepted,
            // The acceptor task only ends when aborted by drop; never yield.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

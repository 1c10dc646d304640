//! `receivers`: where OTLP comes in.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::Secret;

/// The OTLP receivers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiversConfig {
    /// OTLP over gRPC.
    pub grpc: GrpcConfig,
    /// OTLP over HTTP (`POST /v1/traces`).
    pub http: HttpConfig,
    /// Largest accepted request, checked both before and after decompression.
    pub max_request_bytes: usize,
    /// Bearer-token authentication for both receivers.
    pub auth: AuthConfig,
    /// TLS for both receivers.
    pub tls: TlsConfig,
    /// Most connections open at once on each receiver; more are closed at
    /// once (`reshimu_refused_connections_total`).
    pub max_connections: usize,
    /// A connection moving no byte for this long is closed.
    #[serde(with = "humantime_serde")]
    pub idle_timeout: Duration,
    /// Longest an HTTP client may take to send its request headers.
    #[serde(with = "humantime_serde")]
    pub header_timeout: Duration,
    /// Longest a client may take to send a request body (HTTP: 408; gRPC:
    /// the whole call).
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
}

impl Default for ReceiversConfig {
    fn default() -> Self {
        Self {
            grpc: GrpcConfig::default(),
            http: HttpConfig::default(),
            max_request_bytes: 16 * 1024 * 1024,
            auth: AuthConfig::default(),
            tls: TlsConfig::default(),
            max_connections: 256,
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
        }
    }
}

/// The OTLP/gRPC listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpcConfig {
    /// Whether to listen at all.
    pub enabled: bool,
    /// `host:port` to bind; `0.0.0.0:4317` listens on every interface.
    pub endpoint: String,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            endpoint: "127.0.0.1:4317".to_owned(),
        }
    }
}

/// The OTLP/HTTP listener.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Whether to listen at all.
    pub enabled: bool,
    /// `host:port` to bind; `0.0.0.0:4318` listens on every interface.
    pub endpoint: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            endpoint: "127.0.0.1:4318".to_owned(),
        }
    }
}

/// Bearer-token authentication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// When non-empty, requests must carry `Authorization: Bearer <token>`.
    /// Overridden by `RESHIMU_AUTH_TOKEN`.
    pub bearer_token: Secret,
}

/// TLS: on when both files are set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert_file: Option<PathBuf>,
    /// PEM private key.
    pub key_file: Option<PathBuf>,
}

impl TlsConfig {
    /// The certificate and key paths, when TLS is on.
    pub fn files(&self) -> Option<(&PathBuf, &PathBuf)> {
        self.cert_file.as_ref().zip(self.key_file.as_ref())
    }
}

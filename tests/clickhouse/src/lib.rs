//! A ClickHouse server for tests and the quickstart.
//!
//! [`LocalClickHouse::from_env_or_start`] picks, in order: `CLICKHOUSE_URL`
//! (with `CLICKHOUSE_USER` / `CLICKHOUSE_PASSWORD`); a `clickhouse` binary on
//! `PATH`; otherwise `chdb_server.py`, the ClickHouse HTTP interface served on
//! the chDB engine from a virtualenv built on first use.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let ch = reshimu_clickhouse_launcher::LocalClickHouse::shared()?;
//! let db = ch.fresh_database("demo")?;
//! let client = ch.client().with_database(&db);
//! client.query("CREATE TABLE t (a UInt8) ENGINE = MergeTree ORDER BY a").execute().await?;
//! # Ok(()) }
//! ```

mod error;
pub mod http;
mod process;
mod venv;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use error::LaunchError;
pub use process::LaunchOptions;
use process::ServerProcess;

/// Which kind of server a [`LocalClickHouse`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A server named by `CLICKHOUSE_URL`; not ours to stop.
    External,
    /// `clickhouse server` from `PATH`.
    Binary,
    /// `chdb_server.py` on the chDB engine.
    Chdb,
}

/// A reachable ClickHouse HTTP endpoint, stopped on drop if we started it.
#[derive(Debug)]
pub struct LocalClickHouse {
    url: String,
    host_port: String,
    user: String,
    password: String,
    backend: Backend,
    process: Option<ServerProcess>,
}

impl LocalClickHouse {
    /// Uses `CLICKHOUSE_URL` if set, else starts a throwaway local server.
    pub fn from_env_or_start() -> Result<Self, LaunchError> {
        if let Some(url) = std::env::var("CLICKHOUSE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            return Self::external(
                &url,
                &std::env::var("CLICKHOUSE_USER").unwrap_or_else(|_| "default".into()),
                &std::env::var("CLICKHOUSE_PASSWORD").unwrap_or_default(),
            );
        }
        Self::start(&LaunchOptions::default())
    }

    /// Connects to an already running server (checked with `/ping`).
    pub fn external(url: &str, user: &str, password: &str) -> Result<Self, LaunchError> {
        let host_port = host_port(url)?;
        let ping = http::request(&host_port, "GET", "/ping", &[], b"", Duration::from_secs(5))
            .map_err(|e| LaunchError::NotReady(format!("{url}/ping: {e}")))?;
        if ping.status != 200 {
            return Err(LaunchError::NotReady(format!(
                "{url}/ping answered {}",
                ping.status
            )));
        }
        Ok(Self {
            url: url.trim_end_matches('/').to_owned(),
            host_port,
            user: user.to_owned(),
            password: password.to_owned(),
            backend: Backend::External,
            process: None,
        })
    }

    /// Starts a local server: the `clickhouse` binary if on `PATH`, else chDB.
    pub fn start(options: &LaunchOptions) -> Result<Self, LaunchError> {
        match find_on_path("clickhouse") {
            Some(binary) => {
                let (process, port) = process::spawn_binary(&binary, options)?;
                Ok(Self::local(Backend::Binary, process, port, options))
            }
            None => Self::start_chdb(options),
        }
    }

    /// Starts the chDB-backed server regardless of what else is available.
    pub fn start_chdb(options: &LaunchOptions) -> Result<Self, LaunchError> {
        let (process, port) = process::spawn_chdb(options)?;
        Ok(Self::local(Backend::Chdb, process, port, options))
    }

    fn local(backend: Backend, process: ServerProcess, port: u16, options: &LaunchOptions) -> Self {
        let host_port = format!("127.0.0.1:{port}");
        Self {
            url: format!("http://{host_port}"),
            host_port,
            user: "default".into(),
            password: options.password.clone(),
            backend,
            process: Some(process),
        }
    }

    /// The process-wide instance (one server per test binary), started on first use.
    ///
    /// It lives until the process exits; the server notices that (its stdin pipe
    /// closes) and stops itself.
    pub fn shared() -> Result<&'static Self, LaunchError> {
        static SHARED: OnceLock<Result<LocalClickHouse, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::from_env_or_start().map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| LaunchError::Shared(e.clone()))
    }

    /// Base URL, e.g. `http://127.0.0.1:8123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// User name to authenticate as.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Password of [`Self::user`] (may be empty).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// Which kind of server this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pid of the server process we started (`None` for an external server).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(ServerProcess::pid)
    }

    /// A `clickhouse` client configured with this server's URL and credentials.
    pub fn client(&self) -> clickhouse::Client {
        let client = clickhouse::Client::default()
            .with_url(&self.url)
            .with_user(&self.user);
        if self.password.is_empty() {
            client
        } else {
            client.with_password(&self.password)
        }
    }

    /// Creates a database named `<prefix>_<unique suffix>` and returns its name.
    ///
    /// Tests run in parallel against one shared server; each takes its own database.
    pub fn fresh_database(&self, prefix: &str) -> Result<String, LaunchError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let clean: String = prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let name = format!(
            "{clean}_{}_{}_{nanos:x}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        self.execute(&format!("CREATE DATABASE `{name}`"))?;
        Ok(name)
    }

    /// Runs one statement over HTTP POST and returns the body; errors carry ClickHouse's text.
    pub fn execute(&self, sql: &str) -> Result<String, LaunchError> {
        let auth = http::basic_auth(&self.user, &self.password);
        let response = http::request(
            &self.host_port,
            "POST",
            "/",
            &[("Authorization", &auth)],
            sql.as_bytes(),
            Duration::from_secs(60),
        )
        .map_err(|e| LaunchError::io(format!("POST {}", self.url), e))?;
        if response.status != 200 {
            return Err(LaunchError::Query {
                status: response.status,
                body: response.text(),
            });
        }
        Ok(response.text())
    }

    /// Stops the server now (also done on drop). No-op for external servers.
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.stop();
        }
    }
}

/// Starts the chDB server detached (it outlives this process) and returns `(pid, url)`.
///
/// Used by `reshimu-clickhouse start`; stop it by signalling the pid (SIGTERM).
pub fn start_detached(options: &LaunchOptions, log: &Path) -> Result<(u32, String), LaunchError> {
    let (pid, port) = process::spawn_chdb_detached(options, log)?;
    Ok((pid, format!("http://127.0.0.1:{port}")))
}

fn host_port(url: &str) -> Result<String, LaunchError> {
    let bad = |reason: &str| LaunchError::BadUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// URLs are supported"))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.is_empty() {
        return Err(bad("no host"));
    }
    if authority.contains(':') {
        Ok(authority.to_owned())
    } else {
        Ok(format!("{authority}:80"))
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn host_port_from_url() {
        assert_eq!(
            host_port("http://127.0.0.1:8123").unwrap(),
            "127.0.0.1:8123"
        );
        assert_eq!(host_port("http://ch/").unwrap(), "ch:80");
        assert!(host_port("https://ch").is_err());
    }
}

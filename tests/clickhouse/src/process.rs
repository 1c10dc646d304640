//! Spawning a server process and tying its life to ours.
//!
//! Both backends read a pipe on stdin whose write end only we hold: when this
//! process exits for any reason (including SIGKILL) the pipe closes and the
//! server shuts down, so no orphan outlives a killed test run.

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{LaunchError, http, venv};

/// How long a server may take to answer `/ping` after spawning.
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a server may take to stop after its stdin closes before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct LaunchOptions {
    /// Data folder; `None` uses a throwaway folder removed when the server stops.
    pub data_dir: Option<PathBuf>,
    /// HTTP port; 0 picks a free one.
    pub port: u16,
    /// Password of the `default` user (empty: none).
    pub password: String,
}

/// A running server child process; stopped on drop.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl ServerProcess {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Closes stdin (the server's cue to stop), waits, and kills it if it lingers.
    pub(crate) fn stop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                Err(_) => break,
            }
        }
        tracing::warn!(
            pid = self.child.id(),
            "server did not stop in time; killing it"
        );
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A free TCP port on 127.0.0.1 (for the `clickhouse` binary, which cannot report one).
fn free_port() -> Result<u16, LaunchError> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| LaunchError::io("binding a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| LaunchError::io("reading the free port", e))
}

/// The data folder to use and whether the server should delete it on exit.
fn data_folder(options: &LaunchOptions) -> Result<(PathBuf, bool), LaunchError> {
    match &options.data_dir {
        Some(dir) => {
            fs::create_dir_all(dir)
                .map_err(|e| LaunchError::io(format!("creating {}", dir.display()), e))?;
            Ok((dir.clone(), false))
        }
        None => {
            let dir = tempfile::Builder::new()
                .prefix("reshimu-clickhouse-")
                .tempdir()
                .map_err(|e| LaunchError::io("creating a temporary data folder", e))?;
            // The server process removes it when it stops, even if we never run destructors
            // (the process-wide shared instance lives in a static).
            Ok((dir.keep(), true))
        }
    }
}

/// Command line for the chDB-backed server.
fn chdb_command(options: &LaunchOptions) -> Result<Command, LaunchError> {
    let python = venv::ensure_python()?;
    let (data, ephemeral) = data_folder(options)?;
    let mut command = Command::new(python);
    command
        .arg(venv::crate_dir().join("chdb_server.py"))
        .arg("--data")
        .arg(&data)
        .arg("--port")
        .arg(options.port.to_string())
        .arg("--password")
        .arg(&options.password);
    if ephemeral {
        command.arg("--delete-data-on-exit");
    }
    Ok(command)
}

/// Starts the chDB-backed server as our child; returns it and its port.
pub(crate) fn spawn_chdb(options: &LaunchOptions) -> Result<(ServerProcess, u16), LaunchError> {
    let mut command = chdb_command(options)?;
    command
        .arg("--watch-stdin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = command
        .spawn()
        .map_err(|e| LaunchError::io("spawning chdb_server.py", e))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let mut process = ServerProcess { child, stdin };
    let port = match stdout {
        Some(stdout) => read_listening_port(stdout)?,
        None => {
            return Err(LaunchError::NotReady(
                "no stdout from chdb_server.py".into(),
            ));
        }
    };
    wait_ready(&mut process, port)?;
    Ok((process, port))
}

/// Starts the chDB-backed server detached from us (for `reshimu-clickhouse start`),
/// logging to `log`; returns its pid and port once it answers `/ping`.
pub(crate) fn spawn_chdb_detached(
    options: &LaunchOptions,
    log: &Path,
) -> Result<(u32, u16), LaunchError> {
    use std::os::unix::process::CommandExt;
    let log_file = fs::File::create(log)
        .map_err(|e| LaunchError::io(format!("creating {}", log.display()), e))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| LaunchError::io("cloning the log handle", e))?;
    let mut command = chdb_command(options)?;
    // Own process group: a Ctrl-C aimed at the caller's shell does not hit it; `stop` does.
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
    let mut child = command
        .spawn()
        .map_err(|e| LaunchError::io("spawning chdb_server.py", e))?;
    let pid = child.id();
    let deadline = Instant::now() + READY_TIMEOUT;
    let port = loop {
        let text = fs::read_to_string(log).unwrap_or_default();
        if let Some(port) = text.lines().find_map(parse_listening) {
            break port;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(LaunchError::NotReady(format!(
                "server exited with {status}: {text}"
            )));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err(LaunchError::NotReady("no LISTENING line in time".into()));
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    wait_ping(port, deadline, || matches!(child.try_wait(), Ok(Some(_))))?;
    Ok((pid, port))
}

fn parse_listening(line: &str) -> Option<u16> {
    line.strip_prefix("LISTENING ")?.trim().parse().ok()
}

fn read_listening_port(stdout: std::process::ChildStdout) -> Result<u16, LaunchError> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let port = loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break None,
                Ok(_) => {
                    if let Some(port) = parse_listening(&line) {
                        break Some(port);
                    }
                }
            }
        };
        let _ = sender.send(port);
        // Keep draining so the server never blocks writing to a full pipe.
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    match receiver.recv_timeout(READY_TIMEOUT) {
        Ok(Some(port)) => Ok(port),
        Ok(None) => Err(LaunchError::NotReady(
            "chdb_server.py exited before listening (see its stderr above)".into(),
        )),
        Err(_) => Err(LaunchError::NotReady(
            "chdb_server.py did not report a port".into(),
        )),
    }
}

fn wait_ready(process: &mut ServerProcess, port: u16) -> Result<(), LaunchError> {
    let deadline = Instant::now() + READY_TIMEOUT;
    wait_ping(port, deadline, || {
        matches!(process.child.try_wait(), Ok(Some(_)))
    })
}

fn wait_ping(
    port: u16,
    deadline: Instant,
    mut exited: impl FnMut() -> bool,
) -> Result<(), LaunchError> {
    let host = format!("127.0.0.1:{port}");
    loop {
        if let Ok(response) = http::request(&host, "GET", "/ping", &[], b"", Duration::from_secs(2))
            && response.status == 200
        {
            return Ok(());
        }
        if exited() {
            return Err(LaunchError::NotReady(format!(
                "server on port {port} exited"
            )));
        }
        if Instant::now() > deadline {
            return Err(LaunchError::NotReady(format!(
                "no answer to /ping on port {port}"
            )));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `clickhouse server` (binary on PATH) with a throwaway config, under a
/// `sh` guard that stops it when our stdin pipe closes.
pub(crate) fn spawn_binary(
    binary: &Path,
    options: &LaunchOptions,
) -> Result<(ServerProcess, u16), LaunchError> {
    let (data, ephemeral) = data_folder(options)?;
    let port = if options.port == 0 {
        free_port()?
    } else {
        options.port
    };
    let tcp_port = free_port()?;
    let config_dir = tempfile::Builder::new()
        .prefix("reshimu-clickhouse-config-")
        .tempdir()
        .map_err(|e| LaunchError::io("creating the config folder", e))?
        .keep();
    let config = config_dir.join("config.xml");
    fs::write(&config, server_config(&data, &config_dir, port, tcp_port))
        .map_err(|e| LaunchError::io("writing config.xml", e))?;
    fs::write(
        config_dir.join("users.xml"),
        users_config(&options.password),
    )
    .map_err(|e| LaunchError::io("writing users.xml", e))?;
    // `cat` returns when the pipe from us closes (we stopped or died); then stop the server
    // and remove throwaway folders.
    let cleanup = if ephemeral { "rm -rf \"$3\"" } else { ":" };
    let script = format!(
        "\"$1\" server --config-file=\"$2/config.xml\" >/dev/null 2>&1 </dev/null & pid=$!; \
         cat >/dev/null; kill -TERM $pid; wait $pid; rm -rf \"$2\"; {cleanup}"
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(binary)
        .arg(&config_dir)
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| LaunchError::io("spawning clickhouse server", e))?;
    let stdin = child.stdin.take();
    let mut process = ServerProcess { child, stdin };
    wait_ready(&mut process, port)?;
    Ok((process, port))
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn server_config(data: &Path, config_dir: &Path, http_port: u16, tcp_port: u16) -> String {
    let data = xml_escape(&data.display().to_string());
    let logs = xml_escape(&config_dir.display().to_string());
    format!(
        r#"<clickhouse>
    <logger><level>warning</level><log>{logs}/server.log</log><errorlog>{logs}/error.log</errorlog><console>0</console></logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{http_port}</http_port>
    <tcp_port>{tcp_port}</tcp_port>
    <path>{data}/</path>
    <tmp_path>{data}/tmp/</tmp_path>
    <user_files_path>{data}/user_files/</user_files_path>
    <format_schema_path>{data}/format_schemas/</format_schema_path>
    <users_config>users.xml</users_config>
    <mark_cache_size>268435456</mark_cache_size>
</clickhouse>
"#
    )
}

fn users_config(password: &str) -> String {
    let password = xml_escape(password);
    format!(
        r#"<clickhouse>
    <profiles><default/></profiles>
    <quotas><default/></quotas>
    <users>
        <default>
            <password>{password}</password>
            <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
            <access_management>1</access_management>
        </default>
    </users>
</clickhouse>
"#
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_listening_line() {
        assert_eq!(parse_listening("LISTENING 8123"), Some(8123));
        assert_eq!(parse_listening("LISTENING x"), None);
        assert_eq!(parse_listening("other"), None);
    }

    #[test]
    fn config_escapes_password() {
        assert!(users_config("a<b&").contains("<password>a&lt;b&amp;</password>"));
    }
}

//! `reshimu-clickhouse start|stop`: a background local ClickHouse for scripts and the quickstart.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use reshimu_clickhouse_launcher::{LaunchOptions, start_detached};

#[derive(Parser)]
#[command(
    about = "Start or stop a local ClickHouse (chDB over the HTTP interface) in the background"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start the server, wait until it answers /ping, print CLICKHOUSE_URL=...
    Start {
        /// Data folder (kept across restarts).
        #[arg(long, default_value = "target/clickhouse-local/data")]
        data: PathBuf,
        /// HTTP port: ClickHouse's own 8123 by default, so the collector's
        /// default `clickhouse.url` finds it; 0 picks any free port.
        #[arg(long, default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Password of the `default` user.
        #[arg(long, default_value = "")]
        password: String,
        /// Where the server's pid is written.
        #[arg(long, default_value = "target/clickhouse-local/server.pid")]
        pid_file: PathBuf,
    },
    /// Stop the server named by the pid file.
    Stop {
        /// Pid file written by `start`.
        #[arg(long, default_value = "target/clickhouse-local/server.pid")]
        pid_file: PathBuf,
    },
}

/// The port of ClickHouse's HTTP interface, and the collector's default.
const DEFAULT_PORT: u16 = 8123;

fn main() -> Result<()> {
    match Cli::parse().command {
        Cmd::Start {
            data,
            port,
            password,
            pid_file,
        } => {
            if let Some(dir) = pid_file.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            ensure_free(port)?;
            let log = pid_file.with_extension("log");
            let options = LaunchOptions {
                data_dir: Some(data),
                port,
                password,
            };
            let (pid, url) = start_detached(&options, &log)?;
            std::fs::write(&pid_file, format!("{pid}\n"))
                .with_context(|| format!("writing {}", pid_file.display()))?;
            println!("CLICKHOUSE_URL={url}");
            Ok(())
        }
        Cmd::Stop { pid_file } => stop(&pid_file),
    }
}

/// Fails early, and says what to do, when something already listens on `port`.
fn ensure_free(port: u16) -> Result<()> {
    if port == 0 {
        return Ok(());
    }
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) => bail!(
            "cannot start on 127.0.0.1:{port}: {e}. If a ClickHouse is already running there, use it \
             (export CLICKHOUSE_URL=http://127.0.0.1:{port}); otherwise pick another port with --port N \
             (0 for any free port)"
        ),
    }
}

fn stop(pid_file: &PathBuf) -> Result<()> {
    let text = match std::fs::read_to_string(pid_file) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err).with_context(|| format!("reading {}", pid_file.display())),
    };
    let pid: u32 = text
        .trim()
        .parse()
        .with_context(|| format!("bad pid in {}", pid_file.display()))?;
    if alive(pid) {
        signal(pid, "TERM")?;
        let deadline = Instant::now() + Duration::from_secs(20);
        while alive(pid) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        if alive(pid) {
            signal(pid, "KILL")?;
        }
    }
    std::fs::remove_file(pid_file).with_context(|| format!("removing {}", pid_file.display()))?;
    if alive(pid) {
        bail!("server {pid} is still running");
    }
    Ok(())
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; it is dead for our purposes.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z')),
        Err(_) => false,
    }
}

fn signal(pid: u32, name: &str) -> Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .context("running kill")?;
    if !status.success() && alive(pid) {
        bail!("kill -{name} {pid} failed");
    }
    Ok(())
}

//! Server lifecycle: data kept across restarts, no process left behind.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use reshimu_clickhouse_launcher::{LaunchOptions, LocalClickHouse};
use std::path::Path;

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z'))
    })
}

#[test]
fn data_survives_restart_on_same_folder() {
    let data = tempfile::tempdir().unwrap();
    let options = LaunchOptions {
        data_dir: Some(data.path().to_path_buf()),
        password: "s3cret".into(),
        ..LaunchOptions::default()
    };
    {
        let ch = LocalClickHouse::start(&options).unwrap();
        ch.execute("CREATE DATABASE keep").unwrap();
        ch.execute("CREATE TABLE keep.t (a UInt8) ENGINE = MergeTree ORDER BY a")
            .unwrap();
        ch.execute("INSERT INTO keep.t VALUES (1), (2), (3)")
            .unwrap();
    }
    let ch = LocalClickHouse::start(&options).unwrap();
    assert_eq!(ch.execute("SELECT sum(a) FROM keep.t").unwrap(), "6\n");
}

#[test]
fn drop_stops_the_server() {
    let ch = LocalClickHouse::start(&LaunchOptions::default()).unwrap();
    let pid = ch.pid().unwrap();
    assert!(alive(pid));
    drop(ch);
    assert!(!alive(pid), "server {pid} outlived its handle");
}

#[test]
fn server_follows_a_killed_parent() {
    // A child process starts a server and is SIGKILLed: the server must notice and exit.
    if let Ok(pid_file) = std::env::var("RESHIMU_ORPHAN_PID_FILE") {
        let ch = LocalClickHouse::start(&LaunchOptions::default()).unwrap();
        std::fs::write(&pid_file, ch.pid().unwrap().to_string()).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(600));
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pid");
    let mut parent = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "server_follows_a_killed_parent", "--nocapture"])
        .env("RESHIMU_ORPHAN_PID_FILE", &pid_file)
        .spawn()
        .unwrap();
    let server_pid = wait_for_pid(&pid_file);
    assert!(alive(server_pid));
    parent.kill().unwrap(); // SIGKILL: no destructors run
    parent.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while alive(server_pid) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!alive(server_pid), "server {server_pid} became an orphan");
}

fn wait_for_pid(path: &Path) -> u32 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|t| t.trim().parse().ok())
        {
            return pid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "child never started a server"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

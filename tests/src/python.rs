//! The Python interpreter for tests that drive real OpenTelemetry Python SDK
//! clients: a virtualenv under `target/py-venv` built from the pinned
//! `tests/python/requirements.txt` on first use (never system-wide).
//! `RESHIMU_PYTHON` points at another interpreter instead.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// A Python that can import the OTel SDK and both OTLP exporters, creating
/// the virtualenv if needed.
pub fn python() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("RESHIMU_PYTHON") {
        return Ok(p.into());
    }
    let root = workspace();
    let venv = root.join("target/py-venv");
    let py = venv.join("bin/python");
    let check = "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, opentelemetry.exporter.otlp.proto.grpc";
    let ready = Command::new(&py)
        .args(["-c", check])
        .status()
        .is_ok_and(|s| s.success());
    if ready {
        return Ok(py);
    }
    let created = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()?;
    anyhow::ensure!(
        created.success(),
        "python3 -m venv {} failed",
        venv.display()
    );
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "-q", "-r"])
        .arg(root.join("tests/python/requirements.txt"))
        .status()?;
    anyhow::ensure!(
        installed.success(),
        "pip install -r tests/python/requirements.txt failed"
    );
    Ok(py)
}

//! The Python of the framework tests: a virtualenv under
//! `target/frameworks-venv` built from the locked
//! `tests/frameworks/requirements.txt` on first use (never system-wide) and
//! reused afterwards. `RESHIMU_FRAMEWORKS_PYTHON` points at another interpreter.

use std::path::PathBuf;
use std::process::Command;

use crate::python::workspace;

/// A Python that can import every framework of `tests/frameworks/`.
pub fn python() -> anyhow::Result<PathBuf> {
    if let Ok(p) = std::env::var("RESHIMU_FRAMEWORKS_PYTHON") {
        return Ok(p.into());
    }
    let root = workspace();
    let venv = root.join("target/frameworks-venv");
    let py = venv.join("bin/python");
    let check = "import langgraph, agents, pydantic_ai, opentelemetry.instrumentation.openai_v2, \
                 openinference.instrumentation.langchain, opentelemetry.instrumentation.requests";
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
        .arg(root.join("tests/frameworks/requirements.txt"))
        .status()?;
    anyhow::ensure!(
        installed.success(),
        "pip install -r tests/frameworks/requirements.txt failed"
    );
    Ok(py)
}

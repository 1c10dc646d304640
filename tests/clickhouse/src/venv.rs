//! The virtualenv that runs `chdb_server.py`, built on first use from the
//! pinned `requirements.txt` and reused while the requirements are unchanged.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::LaunchError;

/// Copy of the requirements the venv was built from; a mismatch means rebuild.
const STAMP: &str = "reshimu-requirements.txt";

/// Folder of this crate (the server script and requirements live here).
pub(crate) fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Where the venv lives: `RESHIMU_CHDB_VENV`, else `<target>/chdb-venv`.
pub(crate) fn venv_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RESHIMU_CHDB_VENV") {
        return PathBuf::from(dir);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate_dir().join("..").join("..").join("target"));
    target.join("chdb-venv")
}

/// Returns the venv's python, creating or rebuilding the venv if needed.
///
/// Concurrent callers (parallel test binaries) each build into a private
/// folder and rename it into place; the loser of the race uses the winner's.
pub(crate) fn ensure_python() -> Result<PathBuf, LaunchError> {
    let venv = venv_dir();
    let requirements_path = crate_dir().join("requirements.txt");
    let requirements = fs::read_to_string(&requirements_path)
        .map_err(|e| LaunchError::io(format!("reading {}", requirements_path.display()), e))?;
    if is_current(&venv, &requirements) {
        return Ok(python_in(&venv));
    }
    let parent = venv.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(parent)
        .map_err(|e| LaunchError::io(format!("creating {}", parent.display()), e))?;
    let staging = parent.join(format!(".chdb-venv-build-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    tracing::info!(venv = %venv.display(), "building chDB virtualenv (first use)");
    let built = build(&staging, &requirements_path, &requirements);
    if let Err(err) = built {
        let _ = fs::remove_dir_all(&staging);
        return Err(err);
    }
    if is_current(&venv, &requirements) {
        // Someone else finished first.
        let _ = fs::remove_dir_all(&staging);
        return Ok(python_in(&venv));
    }
    if venv.exists() {
        let stale = parent.join(format!(".chdb-venv-stale-{}", std::process::id()));
        let _ = fs::rename(&venv, &stale);
        let _ = fs::remove_dir_all(&stale);
    }
    if fs::rename(&staging, &venv).is_err() {
        let _ = fs::remove_dir_all(&staging);
        if !is_current(&venv, &requirements) {
            return Err(LaunchError::Venv {
                venv,
                detail: "another process replaced it with different requirements".into(),
            });
        }
    }
    Ok(python_in(&venv))
}

fn python_in(venv: &Path) -> PathBuf {
    venv.join("bin").join("python")
}

fn is_current(venv: &Path, requirements: &str) -> bool {
    python_in(venv).exists()
        && fs::read_to_string(venv.join(STAMP)).is_ok_and(|stamp| stamp == requirements)
}

fn build(staging: &Path, requirements_path: &Path, requirements: &str) -> Result<(), LaunchError> {
    let python = std::env::var("RESHIMU_PYTHON").unwrap_or_else(|_| "python3".into());
    run(
        staging,
        Command::new(&python).arg("-m").arg("venv").arg(staging),
    )?;
    run(
        staging,
        Command::new(python_in(staging))
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(requirements_path),
    )?;
    fs::write(staging.join(STAMP), requirements)
        .map_err(|e| LaunchError::io(format!("writing {STAMP}"), e))
}

fn run(venv: &Path, command: &mut Command) -> Result<(), LaunchError> {
    let output = command
        .output()
        .map_err(|e| LaunchError::io(format!("running {command:?}"), e))?;
    if output.status.success() {
        return Ok(());
    }
    Err(LaunchError::Venv {
        venv: venv.to_path_buf(),
        detail: format!(
            "{command:?} exited with {}: {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}

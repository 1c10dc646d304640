//! Runs `dashboards/typecheck/check.sh`: the dashboards against Grafana's
//! published TypeScript types, the provisioning files against the keys
//! Grafana and the ClickHouse plugin document (Node and npm required; the
//! pinned packages are installed under `target/` on first use).

use std::path::Path;
use std::process::Command;

use super::load::dashboards_dir;

/// What one run of the type check said.
#[derive(Debug)]
pub struct Outcome {
    /// Whether everything fit.
    pub passed: bool,
    /// Its stdout and stderr, for the assertion messages.
    pub output: String,
}

/// Checks the provisioning folder `provisioning` (the repository's by default).
pub fn run(provisioning: Option<&Path>) -> std::io::Result<Outcome> {
    let script = dashboards_dir().join("typecheck/check.sh");
    let mut command = Command::new("bash");
    command.arg(&script);
    if let Some(dir) = provisioning {
        command.arg("--provisioning").arg(dir);
    }
    let out = command.output()?;
    Ok(Outcome {
        passed: out.status.success(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}

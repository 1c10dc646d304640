//! Reads the dashboards and provisioning files of `dashboards/` as the JSON
//! and YAML Grafana reads, with accessors for what the tests inspect.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Why a dashboard or provisioning file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid JSON.
    #[error("parsing {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// The file is not valid YAML.
    #[error("parsing {path}: {source}")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_yaml::Error,
    },
}

/// `dashboards/` of the repository.
pub fn dashboards_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dashboards")
}

/// `dashboards/provisioning/`, the folder Grafana is started with.
pub fn provisioning_dir() -> PathBuf {
    dashboards_dir().join("provisioning")
}

/// Folder of the dashboard JSON files, as the dashboard provider names it
/// relative to the provisioning folder.
pub fn json_dir() -> PathBuf {
    provisioning_dir().join("dashboards/reshimu")
}

/// One dashboard file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    /// File the dashboard was read from.
    pub path: PathBuf,
    /// The dashboard model.
    pub json: Value,
}

impl Dashboard {
    /// The dashboard's `uid`.
    pub fn uid(&self) -> &str {
        self.json["uid"].as_str().unwrap_or_default()
    }

    /// Every panel, including panels nested in rows.
    pub fn panels(&self) -> Vec<&Value> {
        fn walk<'a>(panels: &'a Value, out: &mut Vec<&'a Value>) {
            for panel in panels.as_array().into_iter().flatten() {
                out.push(panel);
                walk(&panel["panels"], out);
            }
        }
        let mut out = Vec::new();
        walk(&self.json["panels"], &mut out);
        out
    }

    /// The template variables.
    pub fn variables(&self) -> Vec<&Value> {
        self.json["templating"]["list"]
            .as_array()
            .map(|list| list.iter().collect())
            .unwrap_or_default()
    }

    /// The variable called `name`.
    pub fn variable(&self, name: &str) -> Option<&Value> {
        self.variables().into_iter().find(|v| v["name"] == name)
    }

    /// The panel titled `title`.
    pub fn panel(&self, title: &str) -> Option<&Value> {
        self.panels().into_iter().find(|p| p["title"] == title)
    }
}

/// A panel's queries: `(refId, target)`.
pub fn targets(panel: &Value) -> Vec<(&str, &Value)> {
    panel["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (t["refId"].as_str().unwrap_or_default(), t))
        .collect()
}

/// Reads every `*.json` dashboard in [`json_dir`], sorted by file name.
pub fn dashboards() -> Result<Vec<Dashboard>, LoadError> {
    let dir = json_dir();
    let entries = std::fs::read_dir(&dir).map_err(|source| LoadError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|source| LoadError::Io {
                path: dir.clone(),
                source,
            })?
            .path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = read(&path)?;
            let json = serde_json::from_str(&text).map_err(|source| LoadError::Json {
                path: path.clone(),
                source,
            })?;
            Ok(Dashboard { path, json })
        })
        .collect()
}

/// Reads a YAML file of the provisioning folder, e.g. `datasources/reshimu.yaml`.
pub fn provisioning_yaml(relative: &str) -> Result<serde_yaml::Value, LoadError> {
    let path = provisioning_dir().join(relative);
    let text = read(&path)?;
    serde_yaml::from_str(&text).map_err(|source| LoadError::Yaml { path, source })
}

/// Reads a text file.
pub fn read(path: &Path) -> Result<String, LoadError> {
    std::fs::read_to_string(path).map_err(|source| LoadError::Io {
        path: path.to_owned(),
        source,
    })
}

//! What a rendering of the schema depends on.

use super::SchemaError;

/// The database name used when none is given.
pub const DEFAULT_DATABASE: &str = "reshimu";

/// Days rows are kept when nothing says otherwise: the default of both
/// `reshimu-collector migrate --ttl-days` and `clickhouse.ttl_days`.
pub const DEFAULT_TTL_DAYS: u32 = 30;

/// Deployment choices the migrations are rendered with.
///
/// The database and cluster are part of each migration's checksum; the TTL
/// is not: it is a setting, brought to the configured value on every apply
/// (`ALTER TABLE ... MODIFY TTL` / `REMOVE TTL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaOptions {
    /// Database holding every table, `reshimu` by default.
    pub database: String,
    /// Days rows are kept; 0 keeps them forever.
    pub ttl_days: u32,
    /// Cluster name from the server's `remote_servers`: `None` renders
    /// single-node DDL, `Some` renders `ON CLUSTER`, Replicated engines and
    /// Distributed tables.
    pub cluster: Option<String>,
}

impl Default for SchemaOptions {
    fn default() -> Self {
        Self {
            database: DEFAULT_DATABASE.to_owned(),
            ttl_days: DEFAULT_TTL_DAYS,
            cluster: None,
        }
    }
}

impl SchemaOptions {
    /// Checks that the names can be spliced into DDL as they are.
    ///
    /// Names are restricted rather than quoted so that the rendered SQL stays
    /// readable and the same names work in engine arguments and macros.
    pub fn validate(&self) -> Result<(), SchemaError> {
        let database_ok = self
            .database
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && self
                .database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !database_ok {
            return Err(SchemaError::InvalidOption {
                option: "database",
                value: self.database.clone(),
                reason: "expected letters, digits and '_', not starting with a digit",
            });
        }
        if let Some(cluster) = &self.cluster {
            let cluster_ok = !cluster.is_empty()
                && cluster
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
            if !cluster_ok {
                return Err(SchemaError::InvalidOption {
                    option: "cluster",
                    value: cluster.clone(),
                    reason: "expected letters, digits, '_', '-' and '.'",
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid() {
        assert!(SchemaOptions::default().validate().is_ok());
    }

    #[test]
    fn rejects_names_that_would_need_quoting() {
        for database in ["", "1db", "re-shimu", "a.b", "x`; DROP"] {
            let options = SchemaOptions {
                database: database.into(),
                ..SchemaOptions::default()
            };
            assert!(options.validate().is_err(), "{database:?} accepted");
        }
        for cluster in ["", "a b", "c'"] {
            let options = SchemaOptions {
                cluster: Some(cluster.into()),
                ..SchemaOptions::default()
            };
            assert!(options.validate().is_err(), "{cluster:?} accepted");
        }
        let ok = SchemaOptions {
            database: "_r2".into(),
            ttl_days: 3,
            cluster: Some("prod-eu.1".into()),
        };
        assert!(ok.validate().is_ok());
    }
}

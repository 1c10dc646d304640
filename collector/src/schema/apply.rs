//! Applying the rendered migrations to a server, once each.

use clickhouse::Client;
use serde::Deserialize;

use super::migrations::{MigrationSet, TableTtl};
use super::{RenderedMigration, SchemaError, SchemaOptions, render};

/// Name of the table recording applied migrations.
pub const MIGRATIONS_TABLE: &str = "schema_migrations";

/// What [`apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Migrations applied by this call, as `NNNN_name`, in order.
    pub applied: Vec<String>,
    /// Migrations that were already recorded with the same checksum.
    pub already_applied: Vec<String>,
    /// Tables whose TTL was changed to the configured one.
    pub ttl_changed: Vec<String>,
}

/// A step of [`apply_with_progress`], for callers that show progress.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// The database and `schema_migrations` are being created if missing.
    Prepare {
        /// The database.
        database: &'a str,
    },
    /// A migration already recorded with the same checksum is skipped.
    Skip {
        /// The migration.
        migration: &'a RenderedMigration,
    },
    /// A statement of a pending migration is about to run.
    Statement {
        /// The migration.
        migration: &'a RenderedMigration,
        /// 0-based index of the statement.
        index: usize,
        /// The statement.
        sql: &'a str,
    },
    /// A migration has run and is recorded.
    Recorded {
        /// The migration.
        migration: &'a RenderedMigration,
    },
    /// A table's TTL differed from the configured one and is being changed.
    Ttl {
        /// The statement.
        sql: &'a str,
    },
}

/// Applies the embedded migrations: see [`apply_with_progress`].
pub async fn apply(client: &Client, options: &SchemaOptions) -> Result<Applied, SchemaError> {
    apply_with_progress(client, options, |_| {}).await
}

/// Creates the database and `schema_migrations` if missing, then runs each
/// migration not recorded there yet, statement by statement, and records it.
///
/// Running it again is a no-op. A migration recorded with another checksum
/// stops everything before any statement runs: an applied migration must not
/// change, so the difference needs a human. Then every table's TTL is
/// brought to `options.ttl_days` (a setting, outside the checksums).
///
/// `client` must not default to `options.database` if that database may not
/// exist yet (ClickHouse rejects requests naming a missing database); every
/// statement names its database explicitly.
///
/// Two concurrent runs may both execute a pending migration; every statement
/// is `IF NOT EXISTS`, so that is harmless apart from a duplicate record.
pub async fn apply_with_progress(
    client: &Client,
    options: &SchemaOptions,
    mut progress: impl FnMut(Step<'_>),
) -> Result<Applied, SchemaError> {
    let migrations = render(options)?;
    let database = options.database.as_str();

    progress(Step::Prepare { database });
    for statement in bootstrap_statements(options) {
        execute(client, &statement).await?;
    }

    let recorded = recorded(client, database).await?;
    // Check everything first: a mismatch anywhere means the server is not
    // in a state these migrations were written for.
    let mut legacy: Option<Vec<(u32, String)>> = None;
    for migration in &migrations {
        let Some(record) = recorded.iter().find(|r| r.version == migration.version) else {
            continue;
        };
        if record.checksum == migration.checksum {
            continue;
        }
        // Earlier builds rendered the TTL into the statements; a record made
        // that way with the TTL configured here or either default is the
        // same migration.
        if legacy.is_none() {
            let set = MigrationSet::embedded();
            let mut all = set.legacy_checksums(options, options.ttl_days)?;
            for days in [0, super::DEFAULT_TTL_DAYS] {
                all.extend(set.legacy_checksums(options, days)?);
            }
            legacy = Some(all);
        }
        let known = legacy.iter().flatten().any(|(version, checksum)| {
            *version == migration.version && *checksum == record.checksum
        });
        if !known {
            return Err(SchemaError::ChecksumMismatch {
                database: database.to_owned(),
                version: migration.version,
                name: migration.name.to_owned(),
                recorded: record.checksum.clone(),
                current: migration.checksum.clone(),
            });
        }
    }
    if let Some(newest) = recorded.iter().map(|r| r.version).max() {
        let known = migrations.last().map_or(0, |m| m.version);
        if newest > known {
            tracing::warn!(
                newest,
                known,
                "{database}.{MIGRATIONS_TABLE} records migrations newer than this build knows"
            );
        }
    }

    let mut result = Applied::default();
    for migration in &migrations {
        if recorded.iter().any(|r| r.version == migration.version) {
            progress(Step::Skip { migration });
            result.already_applied.push(migration.id());
            continue;
        }
        for (index, sql) in migration.statements.iter().enumerate() {
            progress(Step::Statement {
                migration,
                index,
                sql,
            });
            execute(client, sql).await.map_err(|error| match error {
                SchemaError::ClickHouse { context, source } => SchemaError::ClickHouse {
                    context: format!("migration {}: {context}", migration.id()),
                    source,
                },
                other => other,
            })?;
        }
        record(client, database, migration).await?;
        tracing::info!(migration = %migration.id(), "applied");
        progress(Step::Recorded { migration });
        result.applied.push(migration.id());
    }
    for ttl in migrations.iter().flat_map(|m| &m.ttls) {
        let current = current_ttl(client, database, &ttl.table).await?;
        if current.as_deref() == ttl.clause.as_deref() {
            continue;
        }
        let sql = ttl_statement(options, ttl);
        progress(Step::Ttl { sql: &sql });
        execute(client, &sql).await?;
        tracing::info!(table = %ttl.table, ttl = ?ttl.clause, was = ?current, "TTL changed");
        result.ttl_changed.push(ttl.table.clone());
    }
    Ok(result)
}

/// The `ALTER TABLE` that gives `ttl.table` the TTL of the options.
pub fn ttl_statement(options: &SchemaOptions, ttl: &TableTtl) -> String {
    let on_cluster = options
        .cluster
        .as_ref()
        .map(|c| format!(" ON CLUSTER `{c}`"))
        .unwrap_or_default();
    let db = &options.database;
    match &ttl.clause {
        Some(clause) => format!(
            "ALTER TABLE {db}.{}{on_cluster} MODIFY TTL {clause}",
            ttl.table
        ),
        None => format!("ALTER TABLE {db}.{}{on_cluster} REMOVE TTL", ttl.table),
    }
}

/// The table's TTL clause (without `TTL`), as the server reports it.
async fn current_ttl(
    client: &Client,
    database: &str,
    table: &str,
) -> Result<Option<String>, SchemaError> {
    let engine: String = client
        .query("SELECT engine_full FROM system.tables WHERE database = ? AND name = ?")
        .bind(database)
        .bind(table)
        .fetch_one()
        .await
        .map_err(SchemaError::clickhouse(format!(
            "reading the TTL of {database}.{table}"
        )))?;
    Ok(ttl_clause(&engine).map(str::to_owned))
}

/// `toDateTime(Timestamp) + toIntervalDay(30)` out of an `engine_full`.
fn ttl_clause(engine_full: &str) -> Option<&str> {
    let start = engine_full.find(" TTL ")? + " TTL ".len();
    let rest = &engine_full[start..];
    let end = rest.find(" SETTINGS ").unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// `CREATE DATABASE` and `schema_migrations`: created by the applier rather
/// than by a migration, since recording migrations needs them first.
pub fn bootstrap_statements(options: &SchemaOptions) -> Vec<String> {
    let db = &options.database;
    let (on_cluster, engine) = match &options.cluster {
        None => (String::new(), "MergeTree".to_owned()),
        // One replicated table for the whole cluster (no {shard} in the path):
        // every node sees the same record. {replica} must be unique across
        // the cluster, which hostname-based replica macros are.
        Some(cluster) => (
            format!(" ON CLUSTER `{cluster}`"),
            "ReplicatedMergeTree('/clickhouse/tables/all/{database}/{table}', '{replica}')"
                .to_owned(),
        ),
    };
    vec![
        format!("CREATE DATABASE IF NOT EXISTS {db}{on_cluster}"),
        format!(
            "CREATE TABLE IF NOT EXISTS {db}.{MIGRATIONS_TABLE}{on_cluster}\n(\n    \
             version UInt32,\n    name String,\n    checksum String,\n    \
             applied_at DateTime64(3, 'UTC') DEFAULT now64(3)\n)\n\
             ENGINE = {engine}\nORDER BY version"
        ),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_ttl_clause() {
        assert_eq!(
            super::ttl_clause(
                "MergeTree PARTITION BY toDate(ts) ORDER BY ts TTL toDateTime(ts) + toIntervalDay(30) SETTINGS index_granularity = 8192"
            ),
            Some("toDateTime(ts) + toIntervalDay(30)")
        );
        assert_eq!(
            super::ttl_clause("MergeTree ORDER BY ts TTL ts + toIntervalDay(1)"),
            Some("ts + toIntervalDay(1)")
        );
        assert_eq!(
            super::ttl_clause("MergeTree ORDER BY ts SETTINGS index_granularity = 8192"),
            None
        );
    }
}

#[derive(Debug, clickhouse::Row, Deserialize)]
struct Record {
    version: u32,
    checksum: String,
}

async fn recorded(client: &Client, database: &str) -> Result<Vec<Record>, SchemaError> {
    let sql =
        format!("SELECT version, checksum FROM {database}.{MIGRATIONS_TABLE} ORDER BY version");
    client
        .query_raw(&sql)
        .fetch_all::<Record>()
        .await
        .map_err(SchemaError::clickhouse(format!(
            "reading {database}.{MIGRATIONS_TABLE}"
        )))
}

async fn record(
    client: &Client,
    database: &str,
    migration: &RenderedMigration,
) -> Result<(), SchemaError> {
    let sql = format!(
        "INSERT INTO {database}.{MIGRATIONS_TABLE} (version, name, checksum) \
         VALUES ({{version:UInt32}}, {{name:String}}, {{checksum:String}})"
    );
    client
        .query_raw(&sql)
        .param("version", migration.version)
        .param("name", migration.name)
        .param("checksum", &migration.checksum)
        .execute()
        .await
        .map_err(SchemaError::clickhouse(format!(
            "recording migration {} in {database}.{MIGRATIONS_TABLE}",
            migration.id()
        )))
}

async fn execute(client: &Client, sql: &str) -> Result<(), SchemaError> {
    client
        .query_raw(sql)
        .execute()
        .await
        .map_err(SchemaError::clickhouse(format!(
            "executing {}",
            summary(sql)
        )))
}

/// The first line of code of a statement, for messages.
pub fn summary(sql: &str) -> &str {
    sql.lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with("--"))
        .unwrap_or("")
}

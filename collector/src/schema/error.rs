//! Errors of rendering and applying the schema.

/// Why the schema could not be rendered or applied.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    /// An option cannot be spliced into DDL.
    #[error("invalid {option} {value:?}: {reason}")]
    InvalidOption {
        /// Which option.
        option: &'static str,
        /// The rejected value.
        value: String,
        /// What is allowed instead.
        reason: &'static str,
    },
    /// A migration file uses the placeholder syntax wrongly.
    #[error("migration {migration}: {message}")]
    Template {
        /// `NNNN_name` of the migration.
        migration: String,
        /// What is wrong.
        message: String,
    },
    /// A migration recorded as applied was rendered with different SQL since:
    /// its file was edited or the cluster option changed.
    #[error(
        "database {database} was set up with a different schema than this reshimu-collector \
         expects: its migration {version:04}_{name} is recorded with checksum {recorded}, this \
         build has {current} (another version of reshimu-collector, another --cluster setting, \
         or tables changed by hand). Nothing was changed. Compare with \
         `reshimu-collector migrate --dry-run`; to start afresh, use another database \
         (clickhouse.database / --database)"
    )]
    ChecksumMismatch {
        /// The database.
        database: String,
        /// Version of the migration.
        version: u32,
        /// Name of the migration.
        name: String,
        /// Checksum stored in `schema_migrations`.
        recorded: String,
        /// Checksum of the migration as rendered now.
        current: String,
    },
    /// ClickHouse rejected a statement or could not be reached.
    #[error("{context}: {source}")]
    ClickHouse {
        /// What was being done, with the statement when there is one.
        context: String,
        /// The client error.
        #[source]
        source: clickhouse::error::Error,
    },
}

impl SchemaError {
    pub(crate) fn clickhouse(
        context: impl Into<String>,
    ) -> impl FnOnce(clickhouse::error::Error) -> Self {
        let context = context.into();
        move |source| Self::ClickHouse { context, source }
    }
}

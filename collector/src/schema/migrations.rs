//! The migration files, embedded in the binary, and their rendering.

use sha2::{Digest, Sha256};

use super::{SchemaError, SchemaOptions, template};

/// One numbered migration file of `schemas/clickhouse/`, still templated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Number from the file name (`0003_intents.sql` -> 3); applied in order.
    pub version: u32,
    /// Rest of the file name without the extension (`intents`).
    pub name: &'static str,
    /// The SQL with `{{...}}` placeholders.
    pub template: &'static str,
}

impl Migration {
    /// `0003_intents`: how the migration is named in messages.
    pub fn id(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

/// One migration rendered for a deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedMigration {
    /// See [`Migration::version`].
    pub version: u32,
    /// See [`Migration::name`].
    pub name: &'static str,
    /// sha256 (hex) of the statements, joined by `;\n`: changes whenever the
    /// file or the options change what would be executed.
    pub checksum: String,
    /// The statements, in order, without the trailing `;`.
    pub statements: Vec<String>,
    /// Tables of this migration that take the configured TTL, which is a
    /// setting reconciled at every apply, not part of the statements.
    pub ttls: Vec<TableTtl>,
}

/// A table's TTL as the options ask for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableTtl {
    /// The table's name on the node (`spans`, or `spans_local` in cluster mode).
    pub table: String,
    /// The DateTime expression rows expire by, e.g. `toDateTime(Timestamp)`.
    pub expression: String,
    /// The TTL clause to have, without the `TTL` keyword; `None` for no TTL.
    pub clause: Option<String>,
}

impl RenderedMigration {
    /// `0003_intents`.
    pub fn id(&self) -> String {
        format!("{:04}_{}", self.version, self.name)
    }
}

macro_rules! migration {
    ($version:literal, $name:literal, $file:literal) => {
        Migration {
            version: $version,
            name: $name,
            template: include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../schemas/clickhouse/",
                $file
            )),
        }
    };
}

/// Every migration this build knows, in version order. A new file in
/// `schemas/clickhouse/` must be added here; a unit test checks the two agree.
const EMBEDDED: &[Migration] = &[
    migration!(1, "spans", "0001_spans.sql"),
    migration!(2, "spans_trace_id_ts", "0002_spans_trace_id_ts.sql"),
    migration!(3, "spans_session_id_ts", "0003_spans_session_id_ts.sql"),
    migration!(4, "intents", "0004_intents.sql"),
    migration!(5, "sessions", "0005_sessions.sql"),
    migration!(6, "intent_source", "0006_intent_source.sql"),
    migration!(7, "content_missing", "0007_content_missing.sql"),
];

/// An ordered set of migrations.
#[derive(Debug, Clone, Copy)]
pub struct MigrationSet {
    migrations: &'static [Migration],
}

impl MigrationSet {
    /// The migrations of `schemas/clickhouse/` compiled into this build.
    pub fn embedded() -> Self {
        Self {
            migrations: EMBEDDED,
        }
    }

    /// The migrations, in version order.
    pub fn migrations(&self) -> &'static [Migration] {
        self.migrations
    }

    /// Renders every migration for `options`. The TTL is left out of the
    /// statements (and so of the checksums): it is a setting, applied to the
    /// tables by [`super::apply`] whenever it differs.
    pub fn render(&self, options: &SchemaOptions) -> Result<Vec<RenderedMigration>, SchemaError> {
        options.validate()?;
        let without_ttl = SchemaOptions {
            ttl_days: 0,
            ..options.clone()
        };
        self.migrations
            .iter()
            .map(|migration| {
                let template_error = |message| SchemaError::Template {
                    migration: migration.id(),
                    message,
                };
                let sql =
                    template::render(migration.template, &without_ttl).map_err(template_error)?;
                let statements = template::split_statements(&sql);
                let ttls = template::ttl_targets(migration.template)
                    .into_iter()
                    .map(|(table, expression)| TableTtl {
                        table: template::local_name(&table, options.cluster.as_deref()),
                        clause: (options.ttl_days > 0)
                            .then(|| format!("{expression} + toIntervalDay({})", options.ttl_days)),
                        expression,
                    })
                    .collect();
                Ok(RenderedMigration {
                    version: migration.version,
                    name: migration.name,
                    checksum: checksum(&statements),
                    statements,
                    ttls,
                })
            })
            .collect()
    }

    /// The checksums builds before 0.1 recorded, which rendered the TTL into
    /// the statements: `(version, checksum)` for a TTL of `ttl_days`. An
    /// applied schema recorded that way is the same schema.
    pub fn legacy_checksums(
        &self,
        options: &SchemaOptions,
        ttl_days: u32,
    ) -> Result<Vec<(u32, String)>, SchemaError> {
        let legacy = SchemaOptions {
            ttl_days,
            ..options.clone()
        };
        self.migrations
            .iter()
            .map(|migration| {
                let sql = template::render(migration.template, &legacy).map_err(|message| {
                    SchemaError::Template {
                        migration: migration.id(),
                        message,
                    }
                })?;
                Ok((
                    migration.version,
                    checksum(&template::split_statements(&sql)),
                ))
            })
            .collect()
    }
}

/// Renders the embedded migrations for `options`.
pub fn render(options: &SchemaOptions) -> Result<Vec<RenderedMigration>, SchemaError> {
    MigrationSet::embedded().render(options)
}

fn checksum(statements: &[String]) -> String {
    let mut hasher = Sha256::new();
    for statement in statements {
        hasher.update(statement.as_bytes());
        hasher.update(b";\n");
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The files on disk, the embedded list and the version numbers must
    /// agree: 1, 2, 3... with no gap, duplicate or forgotten file.
    #[test]
    fn migration_files_are_numbered_contiguously_and_all_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas/clickhouse");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".sql"))
            .collect();
        files.sort();
        assert!(!files.is_empty());
        for (index, file) in files.iter().enumerate() {
            let (number, _) = file.split_once('_').unwrap();
            assert_eq!(number.len(), 4, "{file}: expected a 4-digit prefix");
            assert_eq!(number.parse::<usize>().unwrap(), index + 1, "{file}");
        }
        let embedded: Vec<String> = MigrationSet::embedded()
            .migrations()
            .iter()
            .map(|m| format!("{}.sql", m.id()))
            .collect();
        assert_eq!(embedded, files);
        for (index, migration) in EMBEDDED.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1);
        }
    }

    #[test]
    fn every_statement_is_idempotent() {
        let options = SchemaOptions {
            cluster: Some("c".into()),
            ..SchemaOptions::default()
        };
        for migration in render(&options).unwrap() {
            assert!(!migration.statements.is_empty(), "{}", migration.id());
            for statement in &migration.statements {
                let code: String = statement
                    .lines()
                    .filter(|line| !line.trim_start().starts_with("--"))
                    .collect::<Vec<_>>()
                    .join(" ");
                assert!(
                    code.contains("IF NOT EXISTS"),
                    "{}: not idempotent: {code}",
                    migration.id()
                );
            }
        }
    }

    #[test]
    fn the_ttl_is_a_setting_not_part_of_the_checksum() {
        let base = render(&SchemaOptions::default()).unwrap();
        let again = render(&SchemaOptions::default()).unwrap();
        assert_eq!(base, again);
        let ttl = render(&SchemaOptions {
            ttl_days: 7,
            ..SchemaOptions::default()
        })
        .unwrap();
        assert_eq!(base[0].checksum, ttl[0].checksum);
        assert_eq!(
            ttl[0].ttls,
            [TableTtl {
                table: "spans".into(),
                expression: "toDateTime(Timestamp)".into(),
                clause: Some("toDateTime(Timestamp) + toIntervalDay(7)".into()),
            }]
        );
        let cluster = render(&SchemaOptions {
            cluster: Some("c".into()),
            ..SchemaOptions::default()
        })
        .unwrap();
        assert_ne!(base[0].checksum, cluster[0].checksum);
        assert_eq!(cluster[4].ttls[0].table, "sessions_local");
        // Every table with a TTL placeholder is found.
        let tables: Vec<String> = base
            .iter()
            .flat_map(|m| m.ttls.iter().map(|t| t.table.clone()))
            .collect();
        assert_eq!(
            tables,
            [
                "spans",
                "spans_trace_id_ts",
                "spans_session_id_ts",
                "intents",
                "sessions"
            ]
        );
        let legacy = MigrationSet::embedded()
            .legacy_checksums(&SchemaOptions::default(), 30)
            .unwrap();
        assert_ne!(legacy[0].1, base[0].checksum);
        let legacy_zero = MigrationSet::embedded()
            .legacy_checksums(&SchemaOptions::default(), 0)
            .unwrap();
        assert_eq!(legacy_zero[0].1, base[0].checksum);
    }

    #[test]
    fn no_placeholder_survives_rendering() {
        for cluster in [None, Some("c".to_owned())] {
            let options = SchemaOptions {
                ttl_days: 1,
                cluster,
                ..SchemaOptions::default()
            };
            for migration in render(&options).unwrap() {
                for statement in &migration.statements {
                    assert!(!statement.contains("{{"), "{statement}");
                }
            }
        }
    }
}

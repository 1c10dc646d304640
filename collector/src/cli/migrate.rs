//! `reshimu-collector migrate`: render and apply the ClickHouse schema.

use std::io::{IsTerminal, Write};

use anyhow::Context;
use clap::Args;
use reshimu_collector::schema::{self, SchemaOptions, Step};

use super::clickhouse::ClickHouseArgs;

/// Options of `migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    connection: ClickHouseArgs,
    /// Database holding the Reshimu tables; created if missing.
    #[arg(long, default_value = schema::DEFAULT_DATABASE, value_name = "NAME")]
    database: String,
    /// Keep rows this many days (TTL on every table); 0 keeps them forever.
    /// The same default as the collector's `clickhouse.ttl_days`; a setting
    /// that can be changed on an applied schema (the tables are altered).
    #[arg(long, default_value_t = schema::DEFAULT_TTL_DAYS, value_name = "N")]
    ttl_days: u32,
    /// Render for this cluster (from the server's remote_servers): ON CLUSTER
    /// DDL, Replicated engines, `<table>_local` tables and Distributed tables
    /// under the plain names, so queries stay unchanged.
    #[arg(long, value_name = "NAME")]
    cluster: Option<String>,
    /// Print the SQL that would run, without connecting to ClickHouse.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `migrate`.
pub fn run(args: MigrateArgs) -> anyhow::Result<()> {
    let options = SchemaOptions {
        database: args.database,
        ttl_days: args.ttl_days,
        cluster: args.cluster,
    };
    if args.dry_run {
        return print_sql(&options);
    }
    let url =
        args.connection.clickhouse_url.as_deref().context(
            "--clickhouse-url (or CLICKHOUSE_URL) is required unless --dry-run is given",
        )?;
    let client = args.connection.client(url);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;

    let mut stdout = std::io::stdout().lock();
    let show_steps = stdout.is_terminal();
    let applied = runtime
        .block_on(schema::apply_with_progress(&client, &options, |step| {
            if show_steps {
                // Progress is best effort: a closed terminal must not fail the migration.
                let _ = print_step(&mut stdout, &step);
            }
        }))
        .with_context(|| {
            format!(
                "applying the schema to database {} at {url}",
                options.database
            )
        })?;

    if applied.applied.is_empty() {
        writeln!(
            stdout,
            "schema up to date: {} migrations already applied to {}",
            applied.already_applied.len(),
            options.database
        )?;
    } else {
        writeln!(
            stdout,
            "applied {} migrations to {} ({}); {} already applied",
            applied.applied.len(),
            options.database,
            applied.applied.join(", "),
            applied.already_applied.len()
        )?;
    }
    if !applied.ttl_changed.is_empty() {
        writeln!(
            stdout,
            "TTL set to {} on {}",
            match options.ttl_days {
                0 => "none (rows are kept forever)".to_owned(),
                days => format!("{days} days"),
            },
            applied.ttl_changed.join(", ")
        )?;
    }
    Ok(())
}

fn print_step(out: &mut impl Write, step: &Step<'_>) -> std::io::Result<()> {
    match step {
        Step::Prepare { database } => {
            writeln!(out, "preparing database {database} and schema_migrations")
        }
        Step::Skip { migration } => writeln!(out, "  {} already applied", migration.id()),
        Step::Statement {
            migration,
            index,
            sql,
        } => writeln!(
            out,
            "  {} [{}/{}] {}",
            migration.id(),
            index + 1,
            migration.statements.len(),
            schema::summary(sql)
        ),
        Step::Recorded { migration } => writeln!(out, "  {} applied", migration.id()),
        Step::Ttl { sql } => writeln!(out, "  {sql}"),
    }
}

/// The exact statements `migrate` would run, bootstrap first.
fn print_sql(options: &SchemaOptions) -> anyhow::Result<()> {
    let migrations = schema::render(options).context("rendering the migrations")?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "-- created by the migrator itself")?;
    for statement in schema::bootstrap_statements(options) {
        writeln!(out, "{statement};\n")?;
    }
    for migration in &migrations {
        writeln!(
            out,
            "-- migration {} (checksum {})",
            migration.id(),
            migration.checksum
        )?;
        for statement in &migration.statements {
            writeln!(out, "{statement};\n")?;
        }
    }
    writeln!(
        out,
        "-- the TTL, a setting: run for each table whose TTL differs"
    )?;
    for ttl in migrations.iter().flat_map(|m| &m.ttls) {
        writeln!(out, "{};\n", schema::ttl_statement(options, ttl))?;
    }
    Ok(())
}

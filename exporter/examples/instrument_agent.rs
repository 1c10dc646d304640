//! The README's "Instrument an agent" snippet, compiled with the tests so it
//! stays true (`exporter/tests/readme.rs` checks the README shows this file).
//! Run it with a collector on :4318 (`./quickstart.sh`), or without one to
//! see the exporter report the spans it could not send:
//! `cargo run -p reshimu-exporter --example instrument_agent`.

use reshimu_exporter::{Action, Config, IntentSpec, Session, init};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318).
    let provider = init(Config::default().service_name("coordinator"))?;
    let spec = IntentSpec {
        objective: "Audit the inactive customer accounts and prepare a summary".into(),
        scope: "inactive = last_login older than 90 days; customers table only; read access".into(),
        constraints: "no writes; no recommendations; do not contact customers".into(),
        guards: vec![
            "deny sql write".into(),
            "define inactive = last_login > 90 days".into(),
        ],
    };
    // Declares the root intent on the session's span.
    let session = Session::builder(spec.clone())
        .agent("coordinator")
        .tracer_provider(&provider)
        .start()?;
    // Declares the contraction and judges it before the delegate starts.
    let query = session.delegate(
        "query-agent",
        IntentSpec {
            objective: "List the inactive customer accounts".into(),
            ..spec
        },
    )?;
    // Judged with the collector's scorer before it runs, then recorded as a span.
    let sql = "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY";
    let action = query.act(&Action::sql(sql))?;
    println!("{}: {sql}", action.score().verdict.as_str());
    action.end();
    query.end();
    session.end();
    provider.shutdown()?; // sends the last batch
    Ok(())
}

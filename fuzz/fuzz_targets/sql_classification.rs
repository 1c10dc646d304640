//! SQL classification through the scorer's public entry: a span whose
//! `db.query.text` is the input, judged against an intent that denies SQL
//! writes (the `sql.write` guard's statement classifier) and defines a term.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reshimu_intent::IntentSpec;
use reshimu_intent::score::{Context, DefaultScorer, IntentChain, PreparedIntent, Scorer};
use reshimu_intent::span::SpanView;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static INTENT: Option<PreparedIntent> = PreparedIntent::new(IntentSpec {
            objective: "Audit the inactive customer accounts".into(),
            scope: "inactive = last_login older than 90 days; customers table only".into(),
            constraints: "no writes".into(),
            guards: vec!["deny sql write".into(), "define inactive = last_login > 90 days".into()],
        })
        .ok();
    }
    let Ok(sql) = std::str::from_utf8(data) else {
        return;
    };
    INTENT.with(|intent| {
        let Some(intent) = intent else { return };
        let levels = [intent];
        let Some(chain) = IntentChain::new(&levels) else { return };
        let view = SpanView::from_attributes("query", [("db.query.text", sql), ("db.operation.name", "")]);
        let _ = DefaultScorer::default().score(&chain, &view, &Context::default());
    });
});

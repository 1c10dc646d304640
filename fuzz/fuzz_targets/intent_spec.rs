//! Intent specs and guard lines: the input is split on NUL bytes into the
//! objective, scope, constraints and guard lines, then parsed and prepared
//! for scoring the way the collector does with a declaration.
#![no_main]

use libfuzzer_sys::fuzz_target;
use reshimu_intent::score::PreparedIntent;
use reshimu_intent::{Guard, GuardSet, IntentSpec};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let spec = IntentSpec {
        objective: parts.next().unwrap_or_default().to_owned(),
        scope: parts.next().unwrap_or_default().to_owned(),
        constraints: parts.next().unwrap_or_default().to_owned(),
        guards: parts.map(str::to_owned).collect(),
    };
    for line in &spec.guards {
        let _ = Guard::parse_line(line);
    }
    let _ = GuardSet::parse(&spec.guards);
    let _ = spec.digest();
    let _ = spec.clone().parse();
    let _ = PreparedIntent::new(spec);
});

//! OTLP/JSON bodies through the receiver's per-span id checks and decoding,
//! then lineage and scoring: nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use reshimu_collector::offline::score_requests;
use reshimu_collector::receive::decode_request;
use reshimu_intent::score::DefaultScorer;

fuzz_target!(|data: &[u8]| {
    if let Ok((request, _rejected)) = decode_request(data, true) {
        let _ = score_requests(vec![request], Arc::new(DefaultScorer::default()));
    }
});

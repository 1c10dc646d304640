//! OTLP/protobuf bodies through the receiver's decoding and validation, then
//! lineage, scoring and the ClickHouse row encoding: nothing may panic.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use reshimu_collector::offline::score_requests;
use reshimu_collector::receive::decode_request;
use reshimu_collector::sink::clickhouse::encode::encode_request;
use reshimu_intent::score::DefaultScorer;

fuzz_target!(|data: &[u8]| {
    if let Ok((request, _rejected)) = decode_request(data, false) {
        let scored = score_requests(vec![request], Arc::new(DefaultScorer::default()));
        let (mut rows, mut intents) = (Vec::new(), Vec::new());
        for request in &scored {
            encode_request(request, 0, &mut rows, &mut intents);
        }
    }
});

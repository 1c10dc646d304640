//! The file and OTLP forward sinks: enriched spans, readable by other
//! backends, with ClickHouse switched off.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use reshimu_collector::config::{Config, ForwardProtocol};
use reshimu_collector::demo::reference::{Variant, session};
use reshimu_collector::service::Collector;

fn config(file: &std::path::Path) -> Config {
    let mut c = Config::default();
    c.receivers.grpc.endpoint = "127.0.0.1:0".into();
    c.receivers.http.endpoint = "127.0.0.1:0".into();
    c.telemetry.listen = String::new();
    c.clickhouse.enabled = false;
    c.lineage.wait = Duration::from_millis(200);
    c.file.path = Some(file.to_owned());
    c
}

fn read_spans(file: &std::path::Path) -> Vec<Span> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<ExportTraceServiceRequest>(l).unwrap())
        .flat_map(|r| r.resource_spans)
        .flat_map(|r| r.scope_spans)
        .flat_map(|s| s.spans)
        .collect()
}

fn attr<'a>(span: &'a Span, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref()?.value.as_ref())
}

async fn wait_for_spans(file: &std::path::Path, n: usize) -> Vec<Span> {
    for _ in 0..100 {
        let spans = read_spans(file);
        if spans.len() >= n {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{} never held {n} spans", file.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_and_filed_spans_carry_scores_and_the_evaluation_event() {
    let dir = tempfile::tempdir().unwrap();
    for protocol in [ForwardProtocol::Grpc, ForwardProtocol::Http] {
        let hop_file = dir.path().join(format!("hop-{protocol:?}.jsonl"));
        let first_file = dir.path().join(format!("first-{protocol:?}.jsonl"));
        let hop = Collector::start(config(&hop_file)).await.unwrap();
        let mut first_config = config(&first_file);
        first_config.forward.endpoint = Some(match protocol {
            ForwardProtocol::Grpc => format!("http://{}", hop.grpc_addr().unwrap()),
            ForwardProtocol::Http => format!("http://{}", hop.http_addr().unwrap()),
        });
        first_config.forward.protocol = protocol;
        let first = Collector::start(first_config).await.unwrap();
        assert!(
            first.telemetry_addr().is_none(),
            "an empty telemetry.listen turns the endpoint off"
        );

        let url = format!("http://{}/v1/traces", first.http_addr().unwrap());
        let requests = session(Variant::Drifted, "sinks").unwrap();
        let total: usize = requests
            .iter()
            .flat_map(|r| &r.resource_spans)
            .flat_map(|r| &r.scope_spans)
            .map(|s| s.spans.len())
            .sum();
        for r in &requests {
            let resp = reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/x-protobuf")
                .body(r.encode_to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200);
        }

        for file in [&first_file, &hop_file] {
            let spans = wait_for_spans(file, total).await;
            assert_eq!(spans.len(), total, "{}", file.display());
            let delete = spans
                .iter()
                .find(|s| matches!(attr(s, "db.query.text"), Some(Value::StringValue(q)) if q.starts_with("DELETE")))
                .unwrap();
            assert_eq!(
                attr(delete, "reshimu.verdict"),
                Some(&Value::StringValue("violation".into()))
            );
            assert_eq!(
                attr(delete, "reshimu.session.id"),
                Some(&Value::StringValue("sinks".into()))
            );
            assert!(
                matches!(attr(delete, "reshimu.score.alignment"), Some(Value::DoubleValue(a)) if *a < 0.5)
            );
            assert!(
                matches!(attr(delete, "reshimu.violations"), Some(Value::ArrayValue(v)) if !v.values.is_empty())
            );
            assert!(
                matches!(attr(delete, "reshimu.intent.lineage"), Some(Value::ArrayValue(v)) if v.values.len() == 2)
            );
            let event = delete
                .events
                .iter()
                .find(|e| e.name == "gen_ai.evaluation.result")
                .unwrap();
            let label = event
                .attributes
                .iter()
                .find(|kv| kv.key == "gen_ai.evaluation.score.label")
                .unwrap();
            assert_eq!(
                label.value.as_ref().unwrap().value,
                Some(Value::StringValue("violation".into()))
            );
            let name = event
                .attributes
                .iter()
                .find(|kv| kv.key == "gen_ai.evaluation.name")
                .unwrap();
            assert_eq!(
                name.value.as_ref().unwrap().value,
                Some(Value::StringValue("reshimu.intent_alignment".into()))
            );
        }
        first.shutdown().await;
        hop.shutdown().await;
    }
}

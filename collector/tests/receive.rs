//! OTLP receivers over real sockets, with real clients: the Rust OTLP
//! exporter (gRPC and HTTP), a raw tonic client and raw HTTP requests.

// Helpers outside `#[test]` functions unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::borrow::Cow;
use std::io::Write;
use std::time::{Duration, SystemTime};

use opentelemetry::trace::{
    Event, Link, SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig, WithTonicConfig};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue as PbKeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanExporter as _, SpanLinks};
use prost::Message;
use reshimu_collector::config::Config;
use reshimu_collector::queue::{QueueReceiver, Received, bounded};
use reshimu_collector::receive::Receivers;
use reshimu_collector::receive::status::{decode_status, retry_delay};
use reshimu_collector::telemetry::{Telemetry, TelemetryServer};

const TRACE: [u8; 16] = [
    0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c,
];
const SPAN: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74];
const PARENT: [u8; 8] = [0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x73];
const LINKED_TRACE: [u8; 16] = [0x11; 16];
const LINKED_SPAN: [u8; 8] = [0x22; 8];

struct Harness {
    receivers: Option<Receivers>,
    rx: QueueReceiver,
    telemetry: Telemetry,
    http: String,
    grpc: String,
    client: reqwest::Client,
}

async fn start(configure: impl FnOnce(&mut Config)) -> Harness {
    let mut config = Config::default();
    config.receivers.grpc.endpoint = "127.0.0.1:0".into();
    config.receivers.http.endpoint = "127.0.0.1:0".into();
    configure(&mut config);
    let (tx, rx) = bounded(config.queue.limits());
    let telemetry = Telemetry::new();
    let receivers = Receivers::start(&config.receivers, tx, telemetry.clone())
        .await
        .unwrap();
    let http = format!("http://{}/v1/traces", receivers.http_addr().unwrap());
    let grpc = format!("http://{}", receivers.grpc_addr().unwrap());
    Harness {
        receivers: Some(receivers),
        rx,
        telemetry,
        http,
        grpc,
        client: reqwest::Client::new(),
    }
}

impl Harness {
    async fn post(
        &self,
        content_type: &str,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(&self.http)
            .header("content-type", content_type)
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.unwrap()
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("nothing arrived in the queue")
            .expect("queue closed")
    }

    async fn grpc_client(&self) -> TraceServiceClient<tonic::transport::Channel> {
        TraceServiceClient::connect(self.grpc.clone())
            .await
            .unwrap()
    }

    /// After any refusal, both receivers still take a good request.
    async fn assert_still_serves(&mut self) {
        let resp = self
            .post(
                "application/x-protobuf",
                request("after-http").encode_to_vec(),
                &[],
            )
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(first_span(&self.next().await).name, "after-http");
        let mut client = self.grpc_client().await;
        client.export(request("after-grpc")).await.unwrap();
        assert_eq!(first_span(&self.next().await).name, "after-grpc");
    }

    fn metric(&self, line_prefix: &str) -> u64 {
        let text = self.telemetry.encode().unwrap();
        text.lines()
            .find(|l| l.starts_with(line_prefix))
            .and_then(|l| l.rsplit(' ').next())
            .map(|v| v.parse().unwrap())
            .unwrap_or_else(|| panic!("no metric {line_prefix} in\n{text}"))
    }
}

fn span(name: &str) -> Span {
    Span {
        trace_id: TRACE.to_vec(),
        span_id: SPAN.to_vec(),
        name: name.into(),
        start_time_unix_nano: 1,
        end_time_unix_nano: 2,
        ..Default::default()
    }
}

fn request_of(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

fn request(name: &str) -> ExportTraceServiceRequest {
    request_of(vec![span(name)])
}

fn first_span(received: &Received) -> &Span {
    &received.request.resource_spans[0].scope_spans[0].spans[0]
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

fn attr<'a>(attrs: &'a [PbKeyValue], key: &str) -> Option<&'a any_value::Value> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

/// One agent span as the SDK would hand it to an exporter: attributes, an
/// event and a link to another trace.
fn sdk_span() -> SpanData {
    let ctx = |t, s| {
        SpanContext::new(
            TraceId::from_bytes(t),
            SpanId::from_bytes(s),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        )
    };
    let now = SystemTime::now();
    let mut events = SpanEvents::default();
    events.events.push(Event::new(
        "reshimu.guard",
        now,
        vec![KeyValue::new("rule", "deny-sql-write")],
        0,
    ));
    let mut links = SpanLinks::default();
    links.links.push(Link::new(
        ctx(LINKED_TRACE, LINKED_SPAN),
        vec![KeyValue::new("link.kind", "delegation")],
        0,
    ));
    SpanData {
        span_context: ctx(TRACE, SPAN),
        parent_span_id: SpanId::from_bytes(PARENT),
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: Cow::Borrowed("execute_tool query_db"),
        start_time: now,
        end_time: now + Duration::from_millis(5),
        attributes: vec![
            KeyValue::new("reshimu.intent.id", "intent-1"),
            KeyValue::new("reshimu.delegation.depth", 2_i64),
            KeyValue::new("gen_ai.tool.name", "query_db"),
        ],
        dropped_attributes_count: 0,
        events,
        links,
        status: Status::Ok,
        instrumentation_scope: InstrumentationScope::builder("agent").build(),
    }
}

fn assert_intact(received: &Received) {
    assert_eq!(received.span_count, 1);
    let rs = &received.request.resource_spans[0];
    let service = attr(&rs.resource.as_ref().unwrap().attributes, "service.name");
    assert_eq!(
        service,
        Some(&any_value::Value::StringValue("planner".into()))
    );
    let s = first_span(received);
    assert_eq!(s.trace_id, TRACE);
    assert_eq!(s.span_id, SPAN);
    assert_eq!(s.parent_span_id, PARENT);
    assert_eq!(s.name, "execute_tool query_db");
    assert_eq!(
        attr(&s.attributes, "reshimu.intent.id"),
        Some(&any_value::Value::StringValue("intent-1".into()))
    );
    assert_eq!(
        attr(&s.attributes, "reshimu.delegation.depth"),
        Some(&any_value::Value::IntValue(2))
    );
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].name, "reshimu.guard");
    assert_eq!(
        attr(&s.events[0].attributes, "rule"),
        Some(&any_value::Value::StringValue("deny-sql-write".into()))
    );
    assert_eq!(s.links.len(), 1);
    assert_eq!(s.links[0].trace_id, LINKED_TRACE);
    assert_eq!(s.links[0].span_id, LINKED_SPAN);
    assert_eq!(
        attr(&s.links[0].attributes, "link.kind"),
        Some(&any_value::Value::StringValue("delegation".into()))
    );
}

fn resource() -> Resource {
    Resource::builder_empty()
        .with_service_name("planner")
        .build()
}

#[tokio::test]
async fn otlp_grpc_exporter_spans_arrive_intact() {
    let mut h = start(|_| {}).await;
    for compression in [None, Some(opentelemetry_otlp::Compression::Gzip)] {
        let mut builder = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(h.grpc.clone());
        if let Some(c) = compression {
            builder = builder.with_compression(c);
        }
        let mut exporter = builder.build().unwrap();
        exporter.set_resource(&resource());
        exporter.export(vec![sdk_span()]).await.unwrap();
        assert_intact(&h.next().await);
    }
    assert_eq!(
        h.metric("reshimu_accepted_spans_total{protocol=\"grpc\"}"),
        2
    );
}

#[tokio::test]
async fn otlp_http_exporter_spans_arrive_intact() {
    let mut h = start(|_| {}).await;
    for (protocol, compression) in [
        (Protocol::HttpBinary, None),
        (
            Protocol::HttpBinary,
            Some(opentelemetry_otlp::Compression::Gzip),
        ),
        (Protocol::HttpJson, None),
    ] {
        let mut builder = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(protocol)
            .with_endpoint(h.http.clone());
        if let Some(c) = compression {
            builder = builder.with_compression(c);
        }
        let mut exporter = builder.build().unwrap();
        exporter.set_resource(&resource());
        exporter.export(vec![sdk_span()]).await.unwrap();
        assert_intact(&h.next().await);
    }
    assert_eq!(
        h.metric("reshimu_accepted_spans_total{protocol=\"http\"}"),
        3
    );
}

const JSON_BODY: &str = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"planner"}}]},
 "scopeSpans":[{"scope":{"name":"agent"},"spans":[{
   "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173",
   "name":"execute_tool query_db","kind":3,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
   "attributes":[{"key":"reshimu.delegation.depth","value":{"intValue":"2"}},{"key":"gen_ai.tool.name","value":{"stringValue":"query_db"}}],
   "status":{"code":1},"futureField":"ignored"}]}]}]}"#;

#[tokio::test]
async fn otlp_json_with_hex_ids_is_accepted_and_answered_in_json() {
    let mut h = start(|_| {}).await;
    let resp = h.post("application/json", JSON_BODY.into(), &[]).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/json");
    assert_eq!(resp.text().await.unwrap(), "{}");
    let received = h.next().await;
    let s = first_span(&received);
    assert_eq!(s.trace_id, TRACE);
    assert_eq!(s.span_id, SPAN);
    assert_eq!(s.parent_span_id, PARENT);
    assert_eq!(s.kind, 3);
    assert_eq!(s.start_time_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(
        attr(&s.attributes, "reshimu.delegation.depth"),
        Some(&any_value::Value::IntValue(2))
    );
    assert_eq!(s.status.as_ref().unwrap().code, 1);
}

#[tokio::test]
async fn gzip_bodies_are_accepted_in_both_encodings() {
    let mut h = start(|_| {}).await;
    let resp = h
        .post(
            "application/x-protobuf",
            gzip(&request("zipped").encode_to_vec()),
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let answer = ExportTraceServiceResponse::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success, None);
    assert_eq!(first_span(&h.next().await).name, "zipped");
    let resp = h
        .post(
            "application/json",
            gzip(JSON_BODY.as_bytes()),
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(first_span(&h.next().await).name, "execute_tool query_db");
}

#[tokio::test]
async fn invalid_span_is_rejected_alone_with_partial_success() {
    let mut h = start(|_| {}).await;
    // JSON: the second span's trace id is 2 bytes.
    let body = JSON_BODY.replace(
        r#""spans":[{"#,
        r#""spans":[{"traceId":"abcd","spanId":"eee19b7ec3c1b174","name":"short-id"},{"#,
    );
    let resp = h.post("application/json", body.into_bytes(), &[]).await;
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["partialSuccess"]["rejectedSpans"], "1");
    let message = json["partialSuccess"]["errorMessage"].as_str().unwrap();
    assert!(
        message.contains("short-id") && message.contains("trace_id is 2 bytes"),
        "{message}"
    );
    let received = h.next().await;
    assert_eq!(received.span_count, 1);
    assert_eq!(first_span(&received).name, "execute_tool query_db");

    // Protobuf and gRPC answer the same way.
    let mut bad = span("bad");
    bad.span_id = vec![1; 3];
    let req = request_of(vec![bad, span("good")]);
    let resp = h
        .post("application/x-protobuf", req.encode_to_vec(), &[])
        .await;
    let answer = ExportTraceServiceResponse::decode(resp.bytes().await.unwrap()).unwrap();
    assert_eq!(answer.partial_success.unwrap().rejected_spans, 1);
    assert_eq!(first_span(&h.next().await).name, "good");
    let answer = h
        .grpc_client()
        .await
        .export(req)
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.partial_success.unwrap().rejected_spans, 1);
    assert_eq!(first_span(&h.next().await).name, "good");
    assert_eq!(
        h.metric("reshimu_refused_spans_total{protocol=\"http\",reason=\"invalid_span\"}"),
        2
    );
    assert_eq!(
        h.metric("reshimu_refused_spans_total{protocol=\"grpc\",reason=\"invalid_span\"}"),
        1
    );
}

#[tokio::test]
async fn malformed_protobuf_is_400_with_a_status_body() {
    let mut h = start(|_| {}).await;
    let resp = h
        .post(
            "application/x-protobuf",
            vec![0xff, 0xff, 0xff, 0x0f, 0x01],
            &[],
        )
        .await;
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["content-type"], "application/x-protobuf");
    let (code, message) = decode_status(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(code, 3);
    assert!(message.starts_with("invalid OTLP protobuf"), "{message}");
    h.assert_still_serves().await;
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"http\",reason=\"malformed\"}"),
        1
    );
}

#[tokio::test]
async fn malformed_json_is_400_with_a_message() {
    let mut h = start(|_| {}).await;
    let resp = h
        .post(
            "application/json",
            br#"{"resourceSpans": [ {"#.to_vec(),
            &[],
        )
        .await;
    assert_eq!(resp.status(), 400);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["code"], 3);
    let message = json["message"].as_str().unwrap();
    assert!(
        message.starts_with("invalid OTLP JSON") && message.contains("line 1"),
        "{message}"
    );
    // Odd-length hex rejects its span alone (partial success), not the
    // request (issue 12, finding 7).
    let resp = h
        .post(
            "application/json",
            JSON_BODY.replace("5b8efff7", "5b8efff").into_bytes(),
            &[],
        )
        .await;
    assert_eq!(resp.status(), 200);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["partialSuccess"]["rejectedSpans"], "1", "{json}");
    // A corrupt gzip stream is a malformed body, not a server error.
    let resp = h
        .post(
            "application/json",
            b"not gzip".to_vec(),
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(resp.status(), 400);
    h.assert_still_serves().await;
}

#[tokio::test]
async fn wrong_content_type_or_encoding_is_415() {
    let mut h = start(|_| {}).await;
    let resp = h.post("text/plain", JSON_BODY.into(), &[]).await;
    assert_eq!(resp.status(), 415);
    let resp = h
        .post(
            "application/json",
            JSON_BODY.into(),
            &[("content-encoding", "br")],
        )
        .await;
    assert_eq!(resp.status(), 415);
    h.assert_still_serves().await;
    assert_eq!(
        h.metric(
            "reshimu_refused_requests_total{protocol=\"http\",reason=\"unsupported_media_type\"}"
        ),
        2
    );
}

fn big_request(bytes: usize) -> ExportTraceServiceRequest {
    let mut s = span("big");
    s.attributes.push(PbKeyValue {
        key: "input.value".into(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue("x".repeat(bytes))),
        }),
        ..Default::default()
    });
    request_of(vec![s])
}

#[tokio::test]
async fn oversize_is_413_and_resource_exhausted() {
    let limit = 64 * 1024;
    let mut h = start(|c| c.receivers.max_request_bytes = limit).await;
    let body = big_request(limit).encode_to_vec();
    let resp = h.post("application/x-protobuf", body.clone(), &[]).await;
    assert_eq!(resp.status(), 413);
    // Without Content-Length (chunked), the limit still holds while reading.
    let stream = futures_stream(body);
    let resp = h
        .client
        .post(&h.http)
        .header("content-type", "application/x-protobuf")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let status = h
        .grpc_client()
        .await
        .export(big_request(limit))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    h.assert_still_serves().await;
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"http\",reason=\"too_large\"}"),
        2
    );
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"grpc\",reason=\"too_large\"}"),
        1
    );
}

/// The body in small chunks, so the client sends no Content-Length.
fn futures_stream(
    body: Vec<u8>,
) -> impl futures_core::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        body.chunks(8192).map(|c| Ok(c.to_vec())).collect();
    tokio_stream::iter(chunks)
}

#[tokio::test]
async fn gzip_bomb_is_refused_without_inflating_it() {
    let limit = 1024 * 1024;
    let mut h = start(|c| c.receivers.max_request_bytes = limit).await;
    // 64 MiB of zeros compresses to ~64 KiB, well under the limit on the wire.
    let bomb = gzip(&vec![0u8; 64 * 1024 * 1024]);
    assert!(bomb.len() < limit);
    let resp = h
        .post(
            "application/x-protobuf",
            bomb,
            &[("content-encoding", "gzip")],
        )
        .await;
    assert_eq!(resp.status(), 413);
    let mut client = h
        .grpc_client()
        .await
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let status = client.export(big_request(16 * limit)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");
    h.assert_still_serves().await;
}

#[tokio::test]
async fn bearer_token_is_required_when_configured() {
    let mut h =
        start(|c| c.receivers.auth.bearer_token = reshimu_collector::config::Secret::new("s3cret"))
            .await;
    let body = request("secret").encode_to_vec();
    let resp = h.post("application/x-protobuf", body.clone(), &[]).await;
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let resp = h
        .post(
            "application/x-protobuf",
            body.clone(),
            &[("authorization", "Bearer nope")],
        )
        .await;
    assert_eq!(resp.status(), 401);
    let resp = h
        .post(
            "application/x-protobuf",
            body,
            &[("authorization", "Bearer s3cret")],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(first_span(&h.next().await).name, "secret");

    let mut client = h.grpc_client().await;
    let status = client.export(request("grpc")).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let mut req = tonic::Request::new(request("grpc"));
    req.metadata_mut()
        .insert("authorization", "Bearer wrong".parse().unwrap());
    assert_eq!(
        client.export(req).await.unwrap_err().code(),
        tonic::Code::Unauthenticated
    );
    let mut req = tonic::Request::new(request("grpc"));
    req.metadata_mut()
        .insert("authorization", "Bearer s3cret".parse().unwrap());
    client.export(req).await.unwrap();
    assert_eq!(first_span(&h.next().await).name, "grpc");

    // The OTLP exporter with the token in its headers gets through.
    let mut exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(h.http.clone())
        .with_headers([("authorization".to_owned(), "Bearer s3cret".to_owned())].into())
        .build()
        .unwrap();
    exporter.set_resource(&resource());
    exporter.export(vec![sdk_span()]).await.unwrap();
    assert_intact(&h.next().await);
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"http\",reason=\"unauthenticated\"}"),
        2
    );
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"grpc\",reason=\"unauthenticated\"}"),
        2
    );
}

#[tokio::test]
async fn full_queue_is_429_with_retry_after_and_resource_exhausted() {
    let mut h = start(|c| {
        c.queue.max_requests = 1;
        c.queue.retry_after = Duration::from_millis(2500);
    })
    .await;
    let body = request("first").encode_to_vec();
    assert_eq!(
        h.post("application/x-protobuf", body.clone(), &[])
            .await
            .status(),
        200
    );
    let resp = h.post("application/x-protobuf", body.clone(), &[]).await;
    assert_eq!(resp.status(), 429);
    assert_eq!(resp.headers()["retry-after"], "3");
    let (code, _) = decode_status(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(code, 8);
    let resp = h.post("application/json", JSON_BODY.into(), &[]).await;
    assert_eq!(resp.status(), 429);
    let json: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(json["details"][0]["retryDelay"], "2.5s");
    // Refused before decoding: a body that would not decode (400 otherwise)
    // is not read, and gets the same 429.
    let resp = h.post("application/x-protobuf", vec![0xff; 64], &[]).await;
    assert_eq!(resp.status(), 429);

    let status = h
        .grpc_client()
        .await
        .export(request("second"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    assert_eq!(
        retry_delay(status.details()),
        Some(Duration::from_millis(2500))
    );
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"http\",reason=\"queue_full\"}"),
        3
    );
    assert_eq!(
        h.metric("reshimu_refused_requests_total{protocol=\"grpc\",reason=\"queue_full\"}"),
        1
    );
    assert_eq!(h.metric("reshimu_queue_requests"), 1);

    // Draining the queue makes room again.
    assert_eq!(first_span(&h.next().await).name, "first");
    h.assert_still_serves().await;
}

#[tokio::test]
async fn metrics_readyz_and_graceful_shutdown() {
    let mut h = start(|_| {}).await;
    let server = TelemetryServer::start("127.0.0.1:0", h.telemetry.clone())
        .await
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    let body = request_of(vec![span("a"), span("b")]).encode_to_vec();
    assert_eq!(
        h.post("application/x-protobuf", body, &[]).await.status(),
        200
    );
    assert_eq!(h.post("text/plain", vec![], &[]).await.status(), 415);

    let metrics = h
        .client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    for expected in [
        "reshimu_received_requests_total{protocol=\"http\"} 2",
        "reshimu_received_spans_total{protocol=\"http\"} 2",
        "reshimu_accepted_spans_total{protocol=\"http\"} 2",
        "reshimu_refused_requests_total{protocol=\"http\",reason=\"unsupported_media_type\"} 1",
        "reshimu_queue_requests 1",
        "reshimu_scored_spans_total{verdict=\"aligned\"} 0",
        "reshimu_clickhouse_insert_latency_seconds_count 0",
    ] {
        assert!(
            text.lines().any(|l| l == expected),
            "missing {expected:?} in\n{text}"
        );
    }
    let healthz = h
        .client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(healthz.status(), 200);
    let readyz = h.client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);
    let json: serde_json::Value = readyz.json().await.unwrap();
    assert_eq!(json["clickhouse"], "unknown");
    h.telemetry
        .health()
        .set_clickhouse(reshimu_collector::telemetry::ClickHouseState::Down);
    let readyz = h.client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    let json: serde_json::Value = readyz.json().await.unwrap();
    assert_eq!(json["clickhouse"], "down");
    assert_eq!(
        json["ready"], false,
        "nothing can be written while ClickHouse is down: not ready (issue 12)"
    );
    h.telemetry
        .health()
        .set_clickhouse(reshimu_collector::telemetry::ClickHouseState::Up);
    let readyz = h.client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 200);

    // Shutdown: not ready, sockets closed, queued requests still drain, then the queue ends.
    h.receivers.take().unwrap().shutdown().await;
    let readyz = h.client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(readyz.status(), 503);
    assert!(
        h.client.post(&h.http).body("x").send().await.is_err(),
        "HTTP socket still open"
    );
    assert_eq!(h.next().await.span_count, 2);
    assert!(
        h.rx.recv().await.is_none(),
        "queue must end once the receivers are gone"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn tls_serves_grpc_and_http() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio_rustls::rustls;

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = cert.cert.pem();
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, &cert_pem).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let mut h = start(|c| {
        c.receivers.tls.cert_file = Some(cert_file.clone());
        c.receivers.tls.key_file = Some(key_file.clone());
    })
    .await;
    let grpc_addr = h.grpc.trim_start_matches("http://").to_owned();
    let http_addr = h
        .http
        .trim_start_matches("http://")
        .trim_end_matches("/v1/traces")
        .to_owned();

    // gRPC over TLS with tonic, trusting the self-signed certificate.
    let channel = tonic::transport::Channel::from_shared(format!("https://{grpc_addr}"))
        .unwrap()
        .tls_config(
            tonic::transport::ClientTlsConfig::new()
                .ca_certificate(tonic::transport::Certificate::from_pem(&cert_pem))
                .domain_name("localhost"),
        )
        .unwrap()
        .connect()
        .await
        .unwrap();
    TraceServiceClient::new(channel)
        .export(request("over-tls"))
        .await
        .unwrap();
    assert_eq!(first_span(&h.next().await).name, "over-tls");

    // HTTP over TLS with a plain rustls client.
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert.der().clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(&http_addr).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let body = request("https").encode_to_vec();
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    tls.write_all(&body).await.unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(first_span(&h.next().await).name, "https");

    // Plain text on the TLS port is not served.
    let plain = h
        .client
        .post(&h.http)
        .header("content-type", "application/x-protobuf")
        .body(vec![])
        .send()
        .await;
    assert!(
        plain.is_err(),
        "plain HTTP must not be accepted on a TLS listener"
    );
}

//! An agent whose collector is down says so: every batch the OTLP exporter
//! could not send is logged with its span count and the endpoint.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};

use opentelemetry::trace::{Tracer, TracerProvider as _};
use reshimu_exporter::{Config, Protocol, init};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn spans_that_cannot_be_sent_are_reported_with_count_and_endpoint() {
    let captured = Captured::default();
    let writer = captured.clone();
    // Global: the batch exporter runs on its own thread.
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::WARN)
        .init();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let provider = init(
        Config::default()
            .service_name("agent-without-collector")
            .protocol(Protocol::HttpProtobuf)
            .endpoint(&endpoint),
    )
    .unwrap();
    let tracer = provider.tracer("test");
    for name in ["plan", "act", "report"] {
        tracer.in_span(name, |_| {});
    }
    let _ = provider.shutdown();
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains("spans were not exported"))
        .unwrap_or_else(|| panic!("no report in:\n{log}"));
    assert!(line.contains("spans=3"), "{line}");
    assert!(line.contains(&format!("{endpoint}/v1/traces")), "{line}");
}

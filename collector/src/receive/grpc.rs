//! OTLP/gRPC: the generated `TraceService`, with auth and size limits.

use std::sync::Arc;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::service::interceptor::InterceptedService;

use super::intake::{Intake, Refusal};
use super::status::{RpcStatus, code};
use super::validate::Rejected;
use crate::queue::Reservation;
use crate::telemetry::{Protocol, RefuseReason};

const P: Protocol = Protocol::Grpc;

/// The `TraceService` implementation.
#[derive(Debug)]
pub(crate) struct GrpcReceiver {
    intake: Arc<Intake>,
}

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        // The interceptor reserved `max_request_bytes` before tonic read and
        // decoded the message; now that its size is known, the decoded
        // request gets its own reservation and the raw one is released.
        let raw_memory = request
            .extensions()
            .get::<RawMemory>()
            .and_then(RawMemory::take);
        let request = request.into_inner();
        // tonic does not expose the wire size; the re-computed one is what
        // the queue accounts anyway (decoded size, as for HTTP).
        let len = request.encoded_len();
        let Some(decoded_memory) = self.intake.reserve_decoded(P, len) else {
            return Err(busy(self.intake.retry_after));
        };
        drop(raw_memory);
        match self
            .intake
            .accept(P, request, Rejected::default(), len, Some(decoded_memory))
            .await
        {
            Ok(rejected) => Ok(tonic::Response::new(ExportTraceServiceResponse {
                partial_success: (rejected.count > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: i64::try_from(rejected.count).unwrap_or(i64::MAX),
                    error_message: rejected.message(),
                }),
            })),
            Err(Refusal::Full(retry_after)) => Err(queue_full(retry_after)),
            Err(Refusal::TooLarge(why)) => Err(tonic::Status::resource_exhausted(why)),
            Err(Refusal::Closing) => Err(tonic::Status::unavailable("collector is shutting down")),
            Err(Refusal::Unavailable) => Err(tonic::Status::unavailable(
                "collector cannot store the request; retry later",
            )),
        }
    }
}

/// The raw-message reservation, handed from the interceptor to the handler
/// through the request's extensions (which must be `Clone`).
#[derive(Clone)]
struct RawMemory(Arc<std::sync::Mutex<Option<Reservation>>>);

impl RawMemory {
    fn new(reservation: Reservation) -> Self {
        Self(Arc::new(std::sync::Mutex::new(Some(reservation))))
    }

    fn take(&self) -> Option<Reservation> {
        self.0.lock().ok()?.take()
    }
}

fn queue_full(retry_after: std::time::Duration) -> tonic::Status {
    RpcStatus::new(
        code::RESOURCE_EXHAUSTED,
        "collector queue is full; retry later",
        Some(retry_after),
    )
    .into_tonic()
}

fn busy(retry_after: std::time::Duration) -> tonic::Status {
    RpcStatus::new(
        code::RESOURCE_EXHAUSTED,
        "collector memory is full (memory_limit); retry later",
        Some(retry_after),
    )
    .into_tonic()
}

/// The service, ready for a tonic router: gzip both ways, the request size
/// limit, and bearer-token checking before any decoding.
pub(crate) fn service(
    intake: Arc<Intake>,
) -> InterceptedService<
    TraceServiceServer<GrpcReceiver>,
    impl tonic::service::Interceptor + Clone + Send + Sync + 'static,
> {
    let max = intake.max_request_bytes;
    let server = TraceServiceServer::new(GrpcReceiver {
        intake: Arc::clone(&intake),
    })
    .accept_compressed(CompressionEncoding::Gzip)
    .send_compressed(CompressionEncoding::Gzip)
    .max_decoding_message_size(max);
    let interceptor = move |req: tonic::Request<()>| {
        let header = req.metadata().get("authorization").map(|v| v.as_bytes());
        match intake.auth.check(header) {
            Ok(()) => {
                if intake.is_closing() {
                    intake.refuse_undecoded(P, RefuseReason::ShuttingDown);
                    return Err(tonic::Status::unavailable("collector is shutting down"));
                }
                // A full queue refuses before tonic reads the message.
                if let Some(retry_after) = intake.refuse_if_full(P, 0) {
                    return Err(queue_full(retry_after));
                }
                // Before tonic buffers and decodes the message (up to
                // `max_request_bytes`): refuse now if memory is short.
                // tonic grows its message buffer by doubling: up to twice the limit.
                let Some(raw) = intake.reserve_raw(P, intake.max_request_bytes.saturating_mul(2))
                else {
                    return Err(busy(intake.retry_after));
                };
                let mut req = req;
                req.extensions_mut().insert(RawMemory::new(raw));
                Ok(req)
            }
            Err(why) => {
                intake.refuse_undecoded(P, RefuseReason::Unauthenticated);
                Err(tonic::Status::unauthenticated(why))
            }
        }
    };
    InterceptedService::new(server, interceptor)
}

/// tonic answers an over-limit message with `OUT_OF_RANGE` (and a too-large
/// decompressed one with `RESOURCE_EXHAUSTED`); OTLP clients expect
/// `RESOURCE_EXHAUSTED` for both. Our own handler never returns `OUT_OF_RANGE`,
/// so every such status here is the size limit: rewrite and count it.
///
/// tonic's prost codec also answers a body that does not decode (truncated,
/// random bytes, invalid UTF-8, nesting too deep) with `INTERNAL`; it is the
/// client's error, `INVALID_ARGUMENT` (which OTLP clients do not retry).
/// Our handler never returns `INTERNAL` either, so it is rewritten too.
pub(crate) fn client_error_status<B>(
    intake: Arc<Intake>,
) -> impl Fn(axum::http::Response<B>) -> axum::http::Response<B> + Clone {
    const OUT_OF_RANGE: &[u8] = b"11";
    const INTERNAL: &[u8] = b"13";
    move |mut response: axum::http::Response<B>| {
        let headers = response.headers_mut();
        let status = headers.get("grpc-status").map(|v| v.as_bytes());
        if status == Some(INTERNAL) {
            headers.insert(
                "grpc-status",
                axum::http::HeaderValue::from(code::INVALID_ARGUMENT),
            );
            intake.refuse_undecoded(P, RefuseReason::Malformed);
        } else if status == Some(OUT_OF_RANGE) {
            headers.insert(
                "grpc-status",
                axum::http::HeaderValue::from(code::RESOURCE_EXHAUSTED),
            );
            intake.refuse_undecoded(P, RefuseReason::TooLarge);
        } else if status == Some(b"8")
            && headers
                .get("grpc-message")
                .is_some_and(|m| m.as_bytes().starts_with(b"Error%20decompressing"))
        {
            intake.refuse_undecoded(P, RefuseReason::TooLarge);
        }
        response
    }
}

//! OTLP/HTTP: `POST /v1/traces` with protobuf or JSON bodies, optionally gzip.
//!
//! Answers follow the OTLP/HTTP specification: the response is encoded like
//! the request; errors carry a `google.rpc.Status`; throttling sets
//! `Retry-After`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;

use super::body::{BodyError, Compression, Encoding, discard, gunzip_limited, read_limited};
use super::intake::{Intake, Refusal};
use super::json;
use super::status::{RpcStatus, code};
use super::validate::Rejected;
use crate::telemetry::{Protocol, RefuseReason};

const P: Protocol = Protocol::Http;

/// The OTLP/HTTP routes.
pub(crate) fn router(intake: Arc<Intake>) -> Router {
    Router::new()
        .route("/v1/traces", post(export))
        .with_state(intake)
}

async fn export(State(intake): State<Arc<Intake>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let encoding =
        header_bytes(headers, header::CONTENT_TYPE).and_then(Encoding::from_content_type);
    // Until the content type is known, errors are answered in JSON: readable by people and curl.
    let reply = Reply(encoding.unwrap_or(Encoding::Json));

    if intake.is_closing() {
        intake.refuse_undecoded(P, RefuseReason::ShuttingDown);
        return reply.shutting_down();
    }
    if let Err(why) = intake
        .auth
        .check(header_bytes(headers, header::AUTHORIZATION))
    {
        intake.refuse_undecoded(P, RefuseReason::Unauthenticated);
        let mut response = reply.error(StatusCode::UNAUTHORIZED, code::UNAUTHENTICATED, why, None);
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return response;
    }
    let Some(encoding) = encoding else {
        intake.refuse_undecoded(P, RefuseReason::UnsupportedMediaType);
        return reply.error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::INVALID_ARGUMENT,
            "unsupported Content-Type: use application/x-protobuf or application/json",
            None,
        );
    };
    let Some(compression) =
        Compression::from_header(header_bytes(headers, header::CONTENT_ENCODING))
    else {
        intake.refuse_undecoded(P, RefuseReason::UnsupportedMediaType);
        return reply.error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code::INVALID_ARGUMENT,
            "unsupported Content-Encoding: use gzip or none",
            None,
        );
    };

    let limit = intake.max_request_bytes;
    let too_large = |intake: &Intake| {
        intake.refuse_undecoded(P, RefuseReason::TooLarge);
        reply.error(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::RESOURCE_EXHAUSTED,
            &format!("request larger than {limit} bytes"),
            None,
        )
    };
    // Refuse an announced oversize body before reading any of it.
    let announced = header_bytes(headers, header::CONTENT_LENGTH)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit as u64) {
        return too_large(&intake);
    }
    // Memory for the body is reserved before a byte of it is read (all of
    // `max_request_bytes` when the size is not announced), so a collector
    // at its memory limit refuses at once instead of buffering first.
    // A full queue refuses before the body is read: refused requests must
    // cost next to nothing, or refusing becomes the work.
    if let Some(retry_after) = intake.refuse_if_full(
        P,
        announced.map_or(0, |n| usize::try_from(n).unwrap_or(usize::MAX)),
    ) {
        let _ = tokio::time::timeout(intake.body_timeout, discard(body, limit)).await;
        return queue_full(reply, retry_after);
    }
    let announced = announced.map_or(limit, |n| usize::try_from(n).unwrap_or(limit));
    let Some(mut raw_memory) = intake.reserve_raw(P, announced) else {
        let _ = tokio::time::timeout(intake.body_timeout, discard(body, limit)).await;
        return reply.busy(intake.retry_after);
    };
    let raw = match tokio::time::timeout(intake.body_timeout, read_limited(body, limit)).await {
        Ok(Ok(raw)) => raw,
        Ok(Err(BodyError::TooLarge)) => return too_large(&intake),
        Ok(Err(BodyError::Invalid(why))) => return malformed(&intake, reply, why),
        Err(_elapsed) => {
            // A client announcing more than it sends (or trickling it) is cut.
            intake.refuse_undecoded(P, RefuseReason::Malformed);
            intake.telemetry.connection_timed_out(P, "body");
            let mut response = reply.error(
                StatusCode::REQUEST_TIMEOUT,
                code::INVALID_ARGUMENT,
                &format!("request body not received within {:?}", intake.body_timeout),
                None,
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    raw_memory.shrink(raw.len());
    let bytes = match compression {
        Compression::None => raw,
        Compression::Gzip => {
            // Inflating takes up to `limit` more before the size is known.
            if !raw_memory.try_grow(raw.len() + limit) {
                intake.refuse_undecoded(P, RefuseReason::MemoryLimit);
                return reply.busy(intake.retry_after);
            }
            let inflated = match gunzip_limited(&raw, limit) {
                Ok(bytes) => bytes,
                Err(BodyError::TooLarge) => return too_large(&intake),
                Err(BodyError::Invalid(why)) => return malformed(&intake, reply, why),
            };
            drop(raw);
            raw_memory.shrink(inflated.len());
            inflated
        }
    };
    // Now that the decompressed size is known, once more before decoding.
    if let Some(retry_after) = intake.refuse_if_full(P, bytes.len()) {
        return queue_full(reply, retry_after);
    }
    let Some(decoded_memory) = intake.reserve_decoded(P, bytes.len()) else {
        return reply.busy(intake.retry_after);
    };

    let decoded = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(bytes.as_ref())
            .map(|request| (request, Rejected::default()))
            .map_err(|e| format!("invalid OTLP protobuf: {e}")),
        Encoding::Json => json::decode(&bytes),
    };
    let (request, rejected) = match decoded {
        Ok(decoded) => decoded,
        Err(why) => return malformed(&intake, reply, why),
    };

    let accepted = intake
        .accept(P, request, rejected, bytes.len(), Some(decoded_memory))
        .await;
    // The raw bytes (and, with the spool, their copy on its way to disk)
    // were held until here.
    drop(raw_memory);
    match accepted {
        Ok(rejected) => reply.success(&rejected),
        Err(Refusal::Full(retry_after)) => queue_full(reply, retry_after),
        Err(Refusal::TooLarge(why)) => reply.error(
            StatusCode::PAYLOAD_TOO_LARGE,
            code::RESOURCE_EXHAUSTED,
            &why,
            None,
        ),
        Err(Refusal::Closing) => reply.shutting_down(),
        Err(Refusal::Unavailable) => reply.error(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "collector cannot store the request; retry later",
            Some(Duration::from_secs(1)),
        ),
    }
}

fn queue_full(reply: Reply, retry_after: Duration) -> Response {
    reply.error(
        StatusCode::TOO_MANY_REQUESTS,
        code::RESOURCE_EXHAUSTED,
        "collector queue is full; retry later",
        Some(retry_after),
    )
}

fn malformed(intake: &Intake, reply: Reply, why: String) -> Response {
    intake.refuse_undecoded(P, RefuseReason::Malformed);
    tracing::debug!(reason = %why, "refused malformed OTLP/HTTP request");
    reply.error(StatusCode::BAD_REQUEST, code::INVALID_ARGUMENT, &why, None)
}

fn header_bytes(headers: &HeaderMap, name: header::HeaderName) -> Option<&[u8]> {
    headers.get(name).map(HeaderValue::as_bytes)
}

/// Builds responses in the request's encoding.
#[derive(Clone, Copy)]
struct Reply(Encoding);

impl Reply {
    fn success(self, rejected: &Rejected) -> Response {
        let body = match self.0 {
            Encoding::Protobuf => ExportTraceServiceResponse {
                partial_success: (rejected.count > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: i64::try_from(rejected.count).unwrap_or(i64::MAX),
                    error_message: rejected.message(),
                }),
            }
            .encode_to_vec(),
            // Written by hand: proto3 JSON wants int64 as a string, which the
            // generated serde types do not do for this field.
            Encoding::Json if rejected.count > 0 => serde_json::json!({
                "partialSuccess": {
                    "rejectedSpans": rejected.count.to_string(),
                    "errorMessage": rejected.message(),
                }
            })
            .to_string()
            .into_bytes(),
            Encoding::Json => b"{}".to_vec(),
        };
        self.body(StatusCode::OK, body)
    }

    fn error(
        self,
        status: StatusCode,
        grpc_code: i32,
        message: &str,
        retry_after: Option<Duration>,
    ) -> Response {
        let rpc = RpcStatus::new(grpc_code, message, retry_after);
        let body = match self.0 {
            Encoding::Protobuf => rpc.encode_to_vec(),
            Encoding::Json => rpc.to_json(retry_after).into_bytes(),
        };
        let mut response = self.body(status, body);
        if let Some(delay) = retry_after {
            // Retry-After is whole seconds; round up so clients never come back early.
            let secs = delay.as_secs() + u64::from(delay.subsec_nanos() > 0);
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }

    fn busy(self, retry_after: Duration) -> Response {
        self.error(
            StatusCode::TOO_MANY_REQUESTS,
            code::RESOURCE_EXHAUSTED,
            "collector memory is full (memory_limit); retry later",
            Some(retry_after),
        )
    }

    fn shutting_down(self) -> Response {
        self.error(
            StatusCode::SERVICE_UNAVAILABLE,
            code::UNAVAILABLE,
            "collector is shutting down; retry against another instance",
            Some(Duration::from_secs(1)),
        )
    }

    fn body(self, status: StatusCode, body: Vec<u8>) -> Response {
        (
            status,
            [(header::CONTENT_TYPE, self.0.content_type())],
            body,
        )
            .into_response()
    }
}

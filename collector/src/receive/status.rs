//! `google.rpc.Status` and `google.rpc.RetryInfo`, the error bodies OTLP uses.
//!
//! Defined here with prost derives rather than pulled from a crate: three tiny
//! messages are cheaper than a dependency on the whole googleapis tree.

use std::time::Duration;

use prost::Message;

/// gRPC status codes used by the receivers (`google.rpc.Code`).
pub(crate) mod code {
    pub const INVALID_ARGUMENT: i32 = 3;
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    pub const UNAVAILABLE: i32 = 14;
    pub const UNAUTHENTICATED: i32 = 16;
}

const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<Any>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, Message)]
pub(crate) struct Any {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

impl RpcStatus {
    /// A status with a message and, when given, a `RetryInfo` detail.
    pub fn new(code: i32, message: impl Into<String>, retry_after: Option<Duration>) -> Self {
        let details = retry_after
            .map(|d| Any {
                type_url: RETRY_INFO_TYPE.to_owned(),
                value: RetryInfo {
                    retry_delay: Some(ProtoDuration {
                        seconds: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
                        // subsec_nanos() < 1e9 always fits.
                        nanos: i32::try_from(d.subsec_nanos()).unwrap_or(0),
                    }),
                }
                .encode_to_vec(),
            })
            .into_iter()
            .collect();
        Self {
            code,
            message: message.into(),
            details,
        }
    }

    /// The proto3 JSON form, as the OTLP/HTTP spec asks for JSON requests.
    pub fn to_json(&self, retry_after: Option<Duration>) -> String {
        let mut status = serde_json::json!({ "code": self.code, "message": self.message });
        if let Some(d) = retry_after {
            status["details"] = serde_json::json!([{
                "@type": RETRY_INFO_TYPE,
                "retryDelay": format!("{}s", d.as_secs_f64()),
            }]);
        }
        status.to_string()
    }

    /// A tonic status carrying this message and its details.
    pub fn into_tonic(self) -> tonic::Status {
        let code = tonic::Code::from_i32(self.code);
        let message = self.message.clone();
        if self.details.is_empty() {
            tonic::Status::new(code, message)
        } else {
            tonic::Status::with_details(code, message, self.encode_to_vec().into())
        }
    }
}

/// Reads the retry delay back out of encoded status details (for tests and clients).
pub fn retry_delay(details: &[u8]) -> Option<Duration> {
    let status = RpcStatus::decode(details).ok()?;
    let any = status
        .details
        .iter()
        .find(|a| a.type_url == RETRY_INFO_TYPE)?;
    let d = RetryInfo::decode(any.value.as_slice()).ok()?.retry_delay?;
    Some(Duration::new(
        u64::try_from(d.seconds).ok()?,
        u32::try_from(d.nanos).ok()?,
    ))
}

/// Decodes a protobuf `google.rpc.Status` body into `(code, message)`.
pub fn decode_status(body: &[u8]) -> Option<(i32, String)> {
    RpcStatus::decode(body).ok().map(|s| (s.code, s.message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_round_trips() {
        let s = RpcStatus::new(
            code::RESOURCE_EXHAUSTED,
            "full",
            Some(Duration::from_millis(1500)),
        );
        let bytes = s.encode_to_vec();
        assert_eq!(retry_delay(&bytes), Some(Duration::from_millis(1500)));
        assert_eq!(decode_status(&bytes), Some((8, "full".to_owned())));
        let json: serde_json::Value =
            serde_json::from_str(&s.to_json(Some(Duration::from_millis(1500)))).unwrap();
        assert_eq!(json["details"][0]["retryDelay"], "1.5s");
    }
}

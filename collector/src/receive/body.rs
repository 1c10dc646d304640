//! Reading an OTLP/HTTP body: size limits, gzip, content type.

use std::io::Read;

use axum::body::Body;
use bytes::Bytes;
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// How the request (and so the response) is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json` (OTLP JSON).
    Json,
}

impl Encoding {
    /// Parses a `Content-Type`, ignoring parameters such as `charset`.
    pub fn from_content_type(value: &[u8]) -> Option<Self> {
        let media = value.split(|&b| b == b';').next()?.trim_ascii();
        if media.eq_ignore_ascii_case(b"application/x-protobuf")
            || media.eq_ignore_ascii_case(b"application/protobuf")
        {
            Some(Self::Protobuf)
        } else if media.eq_ignore_ascii_case(b"application/json") {
            Some(Self::Json)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Protobuf => "application/x-protobuf",
            Self::Json => "application/json",
        }
    }
}

/// Body compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    None,
    Gzip,
}

impl Compression {
    /// Parses `Content-Encoding`; `None` for an encoding this receiver lacks.
    pub fn from_header(value: Option<&[u8]>) -> Option<Self> {
        match value.map(<[u8]>::trim_ascii) {
            None | Some(b"") => Some(Self::None),
            Some(v) if v.eq_ignore_ascii_case(b"identity") => Some(Self::None),
            Some(v) if v.eq_ignore_ascii_case(b"gzip") || v.eq_ignore_ascii_case(b"x-gzip") => {
                Some(Self::Gzip)
            }
            Some(_) => None,
        }
    }
}

/// Why a body could not be read.
#[derive(Debug)]
pub(crate) enum BodyError {
    /// Beyond the limit, compressed or not.
    TooLarge,
    /// The connection failed or the gzip stream is corrupt.
    Invalid(String),
}

/// Reads at most `limit` bytes of body; more is [`BodyError::TooLarge`]
/// without buffering the excess.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Bytes, BodyError> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => Err(BodyError::TooLarge),
        Err(e) => Err(BodyError::Invalid(format!("cannot read request body: {e}"))),
    }
}

/// Reads and discards up to `limit` bytes of body without keeping any of
/// it, so a request refused before its body was read still gets its answer
/// (a client writing a body nobody reads would see a broken pipe instead of
/// the 429 and its Retry-After).
pub(crate) async fn discard(body: Body, limit: usize) {
    let mut body = body;
    let mut seen = 0usize;
    while seen <= limit {
        match body.frame().await {
            Some(Ok(frame)) => seen += frame.data_ref().map_or(0, |d| d.len()),
            _ => return,
        }
    }
}

/// Inflates gzip into at most `limit` bytes, so a small bomb cannot expand
/// into unbounded memory: decompression stops one byte past the limit.
pub(crate) fn gunzip_limited(compressed: &[u8], limit: usize) -> Result<Bytes, BodyError> {
    // Typical OTLP compresses 5-10x; start there and let the Vec grow.
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(8).min(limit));
    let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    flate2::read::MultiGzDecoder::new(compressed)
        .take(cap)
        .read_to_end(&mut out)
        .map_err(|e| BodyError::Invalid(format!("invalid gzip body: {e}")))?;
    if out.len() > limit {
        return Err(BodyError::TooLarge);
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_respects_limit() {
        let data = vec![b'a'; 10_000];
        let z = gzip(&data);
        assert_eq!(gunzip_limited(&z, 10_000).unwrap().len(), 10_000);
        assert!(matches!(
            gunzip_limited(&z, 9_999),
            Err(BodyError::TooLarge)
        ));
        assert!(matches!(
            gunzip_limited(b"not gzip", 100),
            Err(BodyError::Invalid(_))
        ));
    }

    #[test]
    fn parses_headers() {
        assert_eq!(
            Encoding::from_content_type(b"application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(
            Encoding::from_content_type(b"Application/X-Protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(Encoding::from_content_type(b"text/plain"), None);
        assert_eq!(
            Compression::from_header(Some(b"GZIP")),
            Some(Compression::Gzip)
        );
        assert_eq!(Compression::from_header(None), Some(Compression::None));
        assert_eq!(Compression::from_header(Some(b"br")), None);
    }
}

//! Bearer-token authentication shared by both receivers.

use std::sync::Arc;

/// The expected token, if authentication is on.
#[derive(Debug, Clone, Default)]
pub(crate) struct BearerAuth {
    token: Option<Arc<[u8]>>,
}

impl BearerAuth {
    /// Authentication is off when `token` is empty.
    pub fn new(token: &str) -> Self {
        Self {
            token: (!token.is_empty()).then(|| Arc::from(token.as_bytes())),
        }
    }

    /// Checks an `Authorization` header value (`None` when absent).
    pub fn check(&self, header: Option<&[u8]>) -> Result<(), &'static str> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let header = header.ok_or("missing Authorization header (Bearer token required)")?;
        let presented = strip_bearer(header).ok_or("Authorization header is not a Bearer token")?;
        if constant_time_eq(presented, expected) {
            Ok(())
        } else {
            Err("invalid bearer token")
        }
    }
}

/// The scheme is case-insensitive (RFC 7235).
fn strip_bearer(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case(b"bearer ")
        .then(|| rest.trim_ascii())
}

/// Compares without an early exit, so timing does not reveal how much of a
/// guessed token was right (the length may leak; it is not the secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_tokens() {
        let auth = BearerAuth::new("s3cret");
        assert!(auth.check(Some(b"Bearer s3cret")).is_ok());
        assert!(auth.check(Some(b"bearer  s3cret ")).is_ok());
        assert!(auth.check(Some(b"Bearer s3creT")).is_err());
        assert!(auth.check(Some(b"Basic s3cret")).is_err());
        assert!(auth.check(Some(b"Bearer")).is_err());
        assert!(auth.check(None).is_err());
        assert!(BearerAuth::new("").check(None).is_ok());
    }
}

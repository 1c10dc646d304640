//! Looking up intents this collector has not seen: another collector behind
//! the same load balancer may have received the declaration and written it to
//! ClickHouse `intents`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::facts::{Declaration, SpanKey};

/// What a lookup yields, boxed so the trait stays object-safe.
pub type LookupFuture<'a, T> = Pin<Box<dyn Future<Output = Vec<T>> + Send + 'a>>;

/// Where the lineage stage asks for intents it has not seen.
pub trait IntentLookup: Send + Sync {
    /// The declarations of `ids` and of their ancestors, as far as known.
    /// Failures are the implementation's to log; they yield what was found.
    fn lookup<'a>(&'a self, ids: &'a [Arc<str>]) -> LookupFuture<'a, Declaration>;

    /// The intents of spans this collector has not seen (parents and link
    /// targets), as far as found; `None` for a span stored without intent.
    fn span_intents<'a>(
        &'a self,
        spans: &'a [SpanKey],
    ) -> LookupFuture<'a, (SpanKey, Option<Arc<str>>)>;
}

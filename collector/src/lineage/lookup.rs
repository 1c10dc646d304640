//! Looking up intents this collector has not seen: another collector behind
//! the same load balancer may have received the declaration and written it to
//! ClickHouse `intents`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::facts::Declaration;

/// Where the lineage stage asks for intents it has not seen.
pub trait IntentLookup: Send + Sync {
    /// The declarations of `ids` and of their ancestors, as far as known.
    /// Failures are the implementation's to log; they yield what was found.
    fn lookup<'a>(
        &'a self,
        ids: &'a [Arc<str>],
    ) -> Pin<Box<dyn Future<Output = Vec<Declaration>> + Send + 'a>>;
}

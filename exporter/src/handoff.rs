//! What a parent agent sends a delegate in another process so it continues
//! the lineage and runs the same checks.

use std::sync::Arc;

use reshimu_intent::IntentSpec;
use reshimu_intent::score::PreparedIntent;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::scope::IntentIds;
use crate::session::Mode;

/// The lineage of a delegation, root first; JSON-serializable, sent in the
/// request body next to the W3C headers (see [`crate::Session::handoff`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handoff {
    /// The session.
    pub session_id: String,
    /// The parent's mode; the delegate's default.
    #[serde(default)]
    pub mode: Mode,
    /// Every intent from the root down to the one in force.
    pub intents: Vec<HandoffIntent>,
}

/// One level of a [`Handoff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffIntent {
    /// The intent id.
    pub id: String,
    /// Its spec as declared.
    pub spec: IntentSpec,
}

/// A handoff as ids and prepared intents.
pub(crate) type Levels = Vec<(Arc<str>, Arc<PreparedIntent>)>;

impl Handoff {
    /// Validates and prepares the handoff: ids of the intent in force and the
    /// prepared levels, root first.
    pub(crate) fn into_levels(self) -> Result<(IntentIds, Levels), Error> {
        if self.session_id.trim().is_empty() {
            return Err(Error::Handoff("empty session id"));
        }
        if self.intents.iter().any(|i| i.id.trim().is_empty()) {
            return Err(Error::Handoff("empty intent id"));
        }
        let depth = u32::try_from(self.intents.len().saturating_sub(1))
            .map_err(|_| Error::Handoff("lineage too deep"))?;
        let mut levels: Levels = Vec::with_capacity(self.intents.len());
        for i in self.intents {
            levels.push((
                Arc::from(i.id.trim()),
                Arc::new(PreparedIntent::new(i.spec)?),
            ));
        }
        let (Some((root, _)), Some((in_force, _))) = (levels.first(), levels.last()) else {
            return Err(Error::Handoff("no intents"));
        };
        let ids = IntentIds {
            intent_id: in_force.clone(),
            root_id: root.clone(),
            session_id: Arc::from(self.session_id.trim()),
            depth,
        };
        Ok((ids, levels))
    }
}

//! A counter family whose expected label values are resolved once.

use std::borrow::Cow;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

/// Label set type of every family in this crate.
pub(super) type Labels = Vec<(&'static str, Cow<'static, str>)>;

/// One-label counter family with its expected values pre-registered.
///
/// Known values (verdicts, sinks, eviction reasons) cost a few byte
/// comparisons and an atomic add; an unexpected value still counts, through
/// the family's locked map.
#[derive(Debug)]
pub(super) struct LabeledCounter {
    key: &'static str,
    family: Family<Labels, Counter>,
    known: Vec<(&'static str, Counter)>,
}

impl LabeledCounter {
    pub(super) fn new(key: &'static str, values: &[&'static str]) -> Self {
        let family = Family::<Labels, Counter>::default();
        let known = values
            .iter()
            .map(|&v| {
                (
                    v,
                    family.get_or_create(&vec![(key, Cow::Borrowed(v))]).clone(),
                )
            })
            .collect();
        Self { key, family, known }
    }

    pub(super) fn family(&self) -> Family<Labels, Counter> {
        self.family.clone()
    }

    /// The count of a pre-registered value (0 for others).
    pub(super) fn get(&self, value: &str) -> u64 {
        self.known
            .iter()
            .find(|(v, _)| *v == value)
            .map_or(0, |(_, c)| c.get())
    }

    pub(super) fn inc_by(&self, value: &str, n: u64) {
        if let Some((_, c)) = self.known.iter().find(|(v, _)| *v == value) {
            c.inc_by(n);
        } else {
            self.family
                .get_or_create(&vec![(self.key, Cow::Owned(value.to_owned()))])
                .inc_by(n);
        }
    }
}

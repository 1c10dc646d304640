//! The stemmed words of an intent's own texts, read once when the intent is
//! prepared.
//!
//! Coverage compares every delegation's task with the same root clauses,
//! definitions and objective; stemming those at every delegation was most
//! of a delegation's cost. The lists keep every occurrence in order, so a
//! word the text repeats counts as often as it is written.

use crate::text::{Lex, MAX_WORD, WordMap, lexicon, stem_into, words};

/// Stems of some words of a text, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct StemList(Box<[Box<str>]>);

impl StemList {
    /// The stems of `text`'s content words: four letters or more, not
    /// function, plumbing, negation or action words.
    pub(crate) fn content(text: &str) -> StemList {
        Self::of(text, |w, lex| {
            w.len() >= 4
                && !matches!(
                    lex,
                    Some(Lex::Stop | Lex::Neutral | Lex::Negation | Lex::Action(..))
                )
        })
    }

    /// The stems of every word of `text` but stop words.
    pub(crate) fn non_stop(text: &str) -> StemList {
        Self::of(text, |_, lex| !matches!(lex, Some(Lex::Stop)))
    }

    fn of(text: &str, keep: impl Fn(&str, Option<Lex>) -> bool) -> StemList {
        let mut buf = [0u8; MAX_WORD];
        let stems: Vec<Box<str>> = words(text)
            .filter_map(|(_, w)| {
                let s = stem_into(w, &mut buf)?;
                keep(w, lexicon(s)).then(|| s.into())
            })
            .collect();
        StemList(stems.into_boxed_slice())
    }

    /// Whether at least `n` of the words have a stem in `stems`.
    pub(crate) fn shares(&self, stems: &WordMap<()>, n: usize) -> bool {
        self.0
            .iter()
            .filter(|s| stems.contains_key(&***s))
            .take(n)
            .count()
            >= n
    }

    /// How many of the words have a stem in `stems`, and how many there are.
    pub(crate) fn found_in(&self, stems: &WordMap<()>) -> (usize, usize) {
        let have = self.0.iter().filter(|s| stems.contains_key(&***s)).count();
        (have, self.0.len())
    }

    /// Whether every word's stem is in `stems`.
    pub(crate) fn all_in(&self, stems: &WordMap<()>) -> bool {
        self.0.iter().all(|s| stems.contains_key(&**s))
    }

    /// The list without the occurrences of `stem`.
    pub(crate) fn without(&self, stem: &str) -> StemList {
        StemList(self.0.iter().filter(|s| &***s != stem).cloned().collect())
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    #[cfg(test)]
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|s| &**s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::score::coverage::stem_set as set;

    #[test]
    fn content_words_skip_short_function_and_action_words() {
        let l = StemList::content("Do not email the customers about their invoices");
        let got: Vec<&str> = l.iter().collect();
        assert!(got.contains(&"customer"), "{got:?}");
        assert!(got.contains(&"invoic"), "{got:?}");
        assert!(!got.iter().any(|s| *s == "not" || *s == "the"), "{got:?}");
    }

    #[test]
    fn sharing_counts_every_occurrence() {
        let l = StemList::content("invoices invoices ledger");
        assert!(l.shares(&set("an invoice"), 2));
        assert!(!l.shares(&set("the ledger"), 2));
        assert_eq!(l.found_in(&set("ledger")), (1, 3));
    }
}

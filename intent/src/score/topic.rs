//! Topic: how a span's own words sit with the vocabulary of its intents.
//!
//! Weak evidence only. Entity names from data (drug, product, file, customer
//! names) are in scope by construction and never in an objective, so
//! vocabulary missing from the objective does not make a span drift: it only
//! moves `alignment` within the band of its verdict. A different task is
//! found by [what the span does or asks for](super::task), not by its words.
//!
//! One pass per text with one lexicon lookup per word keeps it cheap.

use std::fmt::Write as _;

use super::Thresholds;
use super::prepared::PreparedIntent;
use crate::text::{MAX_WORD, ident_parts, lexicon, prefix, stem_into, words};

/// How a span's words sit with the vocabulary of some intents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Topic<'a> {
    /// In [0, 1]; the neutral value when there is too little text to judge.
    pub alignment: f32,
    known: f32,
    unknown: u32,
    missing: [&'a str; 3],
}

impl<'a> Topic<'a> {
    fn new() -> Topic<'a> {
        Topic {
            alignment: 0.0,
            known: 0.0,
            unknown: 0,
            missing: [""; 3],
        }
    }

    fn add(&mut self, word: &'a str, weight: f32) {
        if weight > 0.0 {
            self.known += weight;
        } else {
            self.unknown += 1;
            if let Some(slot) = self
                .missing
                .iter_mut()
                .find(|m| m.is_empty() || m.eq_ignore_ascii_case(word))
            {
                *slot = word;
            }
        }
    }

    fn finish(&mut self, t: &Thresholds) {
        let evidence = self.known + self.unknown as f32;
        self.alignment = if evidence >= t.min_topic_words as f32 {
            let frac = self.known / evidence;
            // A third of the words on topic is already a clearly topical span
            // (the rest is names, values, plumbing); none is 0.3.
            let topical = (0.3 + 1.4 * frac).min(1.0);
            // Little text is weak evidence: lean towards neutral.
            let confidence = (evidence / 12.0).min(1.0);
            confidence * topical + (1.0 - confidence) * t.neutral_alignment
        } else {
            t.neutral_alignment
        };
    }

    /// "`a`, `b` appear nowhere in objective or scope".
    pub(crate) fn explain(&self) -> Option<String> {
        let mut s = String::new();
        for (i, m) in self.missing.iter().filter(|m| !m.is_empty()).enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            let _ = write!(s, "`{m}`");
        }
        (!s.is_empty()).then_some(s)
    }
}

/// Topic of `texts` against every level (root lineage) and the intent in force.
pub(crate) fn topic<'a>(
    texts: &[&'a str],
    levels: &[&PreparedIntent],
    t: &Thresholds,
) -> (Topic<'a>, Topic<'a>) {
    let max = t.max_text_bytes as usize;
    let in_force = levels.last().copied();
    let mut root = Topic::new();
    let mut local = Topic::new();
    let mut buf = [0u8; MAX_WORD];
    let mut part_buf = [0u8; MAX_WORD];
    for text in texts {
        let text = prefix(text, max);
        let b = text.as_bytes();
        for (at, w) in words(text) {
            // The byte checks come before the stem: most words they skip
            // (numbers, names, addresses) would be stemmed for nothing.
            // Parts of emails, hosts and dotted names are addresses, not topics.
            let end = at + w.len();
            let address = (at > 0 && matches!(b[at - 1], b'@' | b'.'))
                || (end < b.len() && b[end] == b'@')
                || (end + 1 < b.len() && b[end] == b'.' && b[end + 1].is_ascii_alphanumeric());
            if address || w.len() < 3 || w.bytes().any(|c| c.is_ascii_digit()) {
                continue;
            }
            // Capitalized words in running text are mostly names from data.
            if at > 0 && w.as_bytes()[0].is_ascii_uppercase() && b[at - 1] == b' ' {
                continue;
            }
            let Some(stem) = stem_into(w, &mut buf) else {
                continue;
            };
            if lexicon(stem).is_some() {
                continue;
            }
            let single = w.bytes().all(|c| c.is_ascii_alphanumeric());
            if single {
                let (r, l) = weights(stem, levels, in_force);
                root.add(w, r);
                local.add(w, l);
                continue;
            }
            for part in ident_parts(w) {
                if part.len() < 3 {
                    continue;
                }
                let Some(ps) = stem_into(part, &mut part_buf) else {
                    continue;
                };
                if lexicon(ps).is_some() {
                    continue;
                }
                let (r, l) = weights(ps, levels, in_force);
                root.add(part, r);
                local.add(part, l);
            }
        }
    }
    root.finish(t);
    local.finish(t);
    (root, local)
}

/// The weight of a stem for root alignment and for local alignment.
///
/// Root: the root's own words count fully; words only a contraction
/// introduced count half: they are the lineage's legitimate vocabulary, but
/// weaker evidence that the span serves what the root asked. Local: the
/// intent in force only.
fn weights(
    stem: &str,
    levels: &[&PreparedIntent],
    in_force: Option<&PreparedIntent>,
) -> (f32, f32) {
    let mut root = 0.0f32;
    let mut local = 0.0f32;
    for (i, l) in levels.iter().enumerate() {
        if let Some(w) = l.weight(stem) {
            root = root.max(if i == 0 { w } else { 0.5 * w });
            if in_force.is_some_and(|f| std::ptr::eq(f, *l)) {
                local = w;
            }
        }
    }
    (root, local)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::IntentSpec;

    #[test]
    fn on_topic_text_aligns_better_than_off_topic_text() {
        let a = PreparedIntent::new(IntentSpec {
            objective: "Audit the inactive customer accounts and prepare a summary".into(),
            scope: "inactive = last_login older than 90 days; customers table only".into(),
            constraints: "no recommendations".into(),
            guards: vec![],
        })
        .unwrap();
        let levels = [&a];
        let t = Thresholds::default();
        let (on, _) = topic(
            &["1204 inactive customer accounts; oldest last_login 2019; audit complete"],
            &levels,
            &t,
        );
        let (off, _) = topic(
            &["launch a drip newsletter campaign with personalised offers and paid social ads"],
            &levels,
            &t,
        );
        assert!(
            on.alignment > off.alignment,
            "{} vs {}",
            on.alignment,
            off.alignment
        );
        assert!(
            off.explain()
                .is_some_and(|e| e.contains("`launch`") || e.contains("`drip`"))
        );
    }
}

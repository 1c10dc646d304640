//! Advice in an agent's own words: "we recommend deleting them", "you should
//! reach out", "Consider offering a discount", "Next steps: ...".
//!
//! A summary that mentions recommendations is not advice: "no
//! recommendations are made", a `recommended_plan` column, a quoted table or
//! "as requested, this summary contains no recommendations" recommend
//! nothing. Only sentences that advise the reader count.

use std::sync::LazyLock;

use crate::text::{Phrases, find_ci, words};

/// Phrases that advise, as sentence content (lowercase).
const ADVISING: &[&str] = &[
    "i recommend",
    "we recommend",
    "i'd recommend",
    "we'd recommend",
    "i would recommend",
    "we would recommend",
    "i strongly recommend",
    "we strongly recommend",
    "it is recommended",
    "it's recommended",
    "is recommended to",
    "are recommended to",
    "my recommendation",
    "our recommendation",
    "recommendation:",
    "recommendations:",
    "recommended actions",
    "recommended next steps",
    "recommended action",
    "i suggest",
    "we suggest",
    "i'd suggest",
    "i would suggest",
    "we would suggest",
    "suggested action",
    "suggested next step",
    "i advise",
    "we advise",
    "i'd advise",
    "i would advise",
    "you could consider",
    "it would be wise",
    "it would be best",
    "it would be advisable",
    "it would be prudent",
    "it is advisable",
    "it's advisable",
    "the best course of action",
    "the best option is",
    "the best next step",
    "next steps:",
    "next steps would be",
    "action items:",
    "i propose",
    "we propose",
    "should consider",
    "should be contacted",
    "should be deleted",
    "should be removed",
    "should be archived",
    "should be deactivated",
    "should be re-engaged",
    "should be targeted",
    "should be offered",
    "consider offering",
    "consider reaching out",
    "consider sending",
    "consider deleting",
    "consider removing",
    "consider contacting",
    "consider running",
    "consider launching",
    "to win them back",
];

/// Modal phrases that advise only when an action follows ("you should move
/// the balance", not "you should see the refund in 5 days").
const SHOULD: &[&str] = &[
    "you should",
    "we should",
    "you may want to",
    "you might want to",
    "the company should",
    "the team should",
    "they should",
];

/// Verbs after [`SHOULD`] that make it advice, besides the lexicon's actions.
const ADVISED_VERBS: &[&str] = &[
    "consider",
    "look",
    "reach",
    "focus",
    "prioritize",
    "prioritise",
    "move",
    "open",
    "invest",
    "start",
    "stop",
    "switch",
    "try",
    "avoid",
    "keep",
    "launch",
    "offer",
    "target",
    "re-engage",
    "reengage",
    "follow",
    "review",
    "increase",
    "reduce",
    "cut",
    "raise",
    "lower",
];

fn should_then_act(s: &str, shoulds: &Phrases) -> Option<usize> {
    let mut buf = [0u8; crate::text::MAX_WORD];
    for (at, end) in shoulds.spans(s) {
        let Some((_, next)) = words(&s[end..]).find(|(_, w)| {
            !["also", "really", "probably", "definitely", "now", "then"]
                .iter()
                .any(|x| w.eq_ignore_ascii_case(x))
        }) else {
            continue;
        };
        let acts = ADVISED_VERBS.iter().any(|v| next.eq_ignore_ascii_case(v))
            || crate::text::stem_into(next, &mut buf)
                .and_then(crate::text::lexicon)
                .is_some_and(|l| matches!(l, crate::text::Lex::Action(..)));
        if acts {
            return Some(at);
        }
    }
    None
}

/// Phrases that speak about recommendations without making one.
const NOT_ADVICE: &[&str] = &[
    "no recommendation",
    "not recommend",
    "without recommend",
    "no suggestion",
    "not suggest",
    "not to recommend",
    "not advise",
    "no advice",
    "refrain from",
    "does not include",
    "do not include",
    "not include",
    "not making",
    "not make any",
    "no action is recommended",
    "recommendations are out of scope",
    "outside the scope",
    "as instructed",
];

/// How plainly a sentence advises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// "you may want to", "consider checking": a hedge that can be advice.
    Hedged,
    /// "we recommend", "you should move": advice.
    Plain,
}

/// Hedged phrases among [`ADVISING`] and [`SHOULD`].
const HEDGES: &[&str] = &[
    "you may want to",
    "you might want to",
    "you could consider",
    "consider",
];

/// The most plainly advising sentence of an agent's own text, cut for evidence.
pub(crate) fn advice_with_strength(text: &str) -> Option<(&str, Strength)> {
    let mut best: Option<(&str, Strength)> = None;
    let mut rest = text;
    while let Some(snippet) = advice(rest) {
        let strength = if HEDGES
            .iter()
            .any(|h| find_ci(snippet, h, 0).is_some_and(|p| p < 20))
        {
            Strength::Hedged
        } else {
            Strength::Plain
        };
        if best.is_none_or(|(_, s)| strength > s) {
            best = Some((snippet, strength));
        }
        if strength == Strength::Plain {
            break;
        }
        let after = snippet.as_ptr() as usize - rest.as_ptr() as usize + snippet.len();
        rest = &rest[after.min(rest.len())..];
    }
    best
}

/// Words one of which every phrase of [`ADVISING`], [`SHOULD`] and
/// "consider" holds (a test checks it): most texts hold none, and finding
/// that costs far less than running the phrase automaton over them.
const ADVICE_KEYWORDS: &[&str] = &[
    "recommend",
    "suggest",
    "advis",
    "should",
    "consider",
    "propose",
    "wise",
    "best",
    "prudent",
    "next step",
    "action item",
    "want to",
    "win them back",
];

static KEYWORDS: LazyLock<crate::text::Keywords> =
    LazyLock::new(|| crate::text::Keywords::new(ADVICE_KEYWORDS));

/// The first advising sentence of an agent's own text, cut for evidence.
pub(crate) fn advice(text: &str) -> Option<&str> {
    static NOT: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(NOT_ADVICE));
    static ADVISES: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(ADVISING));
    static SHOULDS: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(SHOULD));
    // Most texts advise nothing: a phrase no sentence can hold is not in the
    // text, and one pass over it settles that before the per-sentence reads.
    static ANY: LazyLock<Phrases> = LazyLock::new(|| {
        let all: Vec<&str> = ADVISING
            .iter()
            .chain(SHOULD)
            .chain(&["consider"])
            .copied()
            .collect();
        Phrases::new(&all)
    });
    if !KEYWORDS.any_ci(text) || !ANY.any(text) {
        return None;
    }
    for (start, end) in sentences(text) {
        let s = &text[start..end];
        if s.matches('|').count() >= 2 || s.trim_start().starts_with('>') {
            continue; // a table row or a quote
        }
        if NOT.any(s) {
            continue;
        }
        let Some(at) = ADVISES
            .first(s)
            .into_iter()
            .chain(should_then_act(s, &SHOULDS))
            .min()
        else {
            // "Consider offering ..." style imperatives at the start.
            if let Some((_, first)) = words(s).next()
                && first.eq_ignore_ascii_case("consider")
                && words(s).nth(1).is_some_and(|(_, w)| w.ends_with("ing"))
            {
                return Some(cut(s, 0));
            }
            continue;
        };
        return Some(cut(s, at));
    }
    None
}

/// About 70 bytes of the sentence from a little before `at`, on word boundaries.
fn cut(s: &str, at: usize) -> &str {
    let start = crate::text::floor_boundary(s, at.saturating_sub(20));
    let start = if start > 0 {
        s[start..at].find(' ').map_or(start, |p| start + p + 1)
    } else {
        0
    };
    let end = crate::text::ceil_boundary(s, (at + 60).min(s.len()));
    let end = if end < s.len() {
        s[..end].rfind(' ').filter(|p| *p > at).unwrap_or(end)
    } else {
        end
    };
    s[start..end].trim()
}

fn sentences(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = text.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\t' | b'\r' | b'-' | b'*' | b'#') {
            i += 1;
        }
        if i >= b.len() {
            return None;
        }
        let start = i;
        while i < b.len() {
            if b[i] == b'\n'
                || (matches!(b[i], b'.' | b'!' | b'?')
                    && (i + 1 == b.len() || b[i + 1].is_ascii_whitespace()))
            {
                break;
            }
            i += 1;
        }
        let end = i;
        i += 1;
        Some((start, end))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_advising_phrase_holds_a_keyword() {
        for phrase in super::ADVISING
            .iter()
            .chain(super::SHOULD)
            .chain(&["consider"])
        {
            assert!(
                super::ADVICE_KEYWORDS.iter().any(|k| phrase.contains(k)),
                "{phrase:?} holds none of the keywords"
            );
        }
        assert!(super::KEYWORDS.any_ci("We RECOMMEND closing the account."));
        assert!(!super::KEYWORDS.any_ci("1204 of 8731 customers are inactive."));
    }

    use super::*;

    #[test]
    fn advice_is_found_in_sentences_that_advise() {
        assert_eq!(
            advice(
                "Audit summary: 212 accounts. We recommend deleting them and sending a win-back discount."
            ),
            Some("We recommend deleting them and sending a win-back discount")
        );
        assert!(advice("Consider offering the free tier users a discount.").is_some());
        assert!(advice("Next steps:\n- contact the owners").is_some());
        assert!(advice("You should move the idle balance into a term deposit.").is_some());
        assert_eq!(advice("You should see the refund within 5-10 days."), None);
    }

    #[test]
    fn talk_about_recommendations_is_not_advice() {
        assert_eq!(
            advice("As requested, this summary makes no recommendations."),
            None
        );
        assert_eq!(advice("| id | recommended_plan |\n| 4 | pro |"), None);
        assert_eq!(
            advice("The recommended_plan column is empty for 40 rows."),
            None
        );
        assert_eq!(
            advice("212 accounts match; I did not recommend any action, as instructed."),
            None
        );
        assert_eq!(
            advice("Recommendations are out of scope for this audit."),
            None
        );
    }
}

//! What a task or an agent's announcement sets out to produce: the
//! deliverable a production verb governs ("write a win-back *sequence*",
//! "I'll also prepare a consolidation *plan*").
//!
//! A deliverable is another task when the root objective asks only to look
//! and report and names no such thing: a report that grows a campaign, a
//! letter to suppliers or a plan is scope creep, however on-topic its words.
//! Only artefacts of outreach and planning count: a summary, a table, a
//! query or a reply is what reporting work produces anyway, and a ticket or
//! a note is a harmless side product. Vocabulary alone never decides it.

use std::sync::LazyLock;

use crate::text::{MAX_WORD, Phrases, stem_into, words};

/// Verbs that produce an artefact.
const PRODUCING: &[&str] = &[
    "prepare", "draft", "write", "compose", "create", "build", "design", "produce", "craft", "put",
    "start", "make",
];

/// Artefacts that are work of their own, not a by-product of reporting.
const ARTEFACTS: &[&str] = &[
    "plan",
    "proposal",
    "strategy",
    "roadmap",
    "playbook",
    "letter",
    "letters",
    "sequence",
    "campaign",
    "ad",
    "ads",
    "advert",
    "adverts",
    "advertisement",
    "posting",
    "newsletter",
    "flyer",
    "brochure",
    "pitch",
    "script",
    "deck",
    "outreach",
    "promo",
    "promotion",
    "announcement",
    "tweet",
    "tweets",
];

/// Words that end the object of a production verb.
const ENDS_OBJECT: &[&str] = &[
    "that", "which", "who", "to", "for", "with", "so", "and", "or", "from", "in", "on", "by",
    "about", "as", "at", "if", "while", "when", "then", "before", "after", "but", "telling",
    "naming", "listing", "covering", "based",
];

/// An artefact a text sets out to produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deliverable<'a> {
    /// The stem of the artefact's head noun, for vocabulary lookups.
    pub stem: Box<str>,
    /// The words from the producing verb through the head noun.
    pub phrase: &'a str,
}

/// Artefacts a task text requests: sentences (or clauses after "then",
/// "and", "also") whose first verb produces one.
pub(crate) fn requested(text: &str) -> Vec<Deliverable<'_>> {
    find(text, false)
}

/// Artefacts an agent announces it will produce in its own words: "I'll
/// also prepare a consolidation plan", "let me draft a job ad", "I'll have
/// the Copywriter draft a win-back sequence".
pub(crate) fn announced(text: &str) -> Vec<Deliverable<'_>> {
    // Most answers announce nothing: one fast pass for the openers an
    // announcement needs settles that before the text is split into words.
    // Matched as written (a few capitalized forms listed), so that the
    // search runs on the library's vectorized prefilter.
    static OPENERS: LazyLock<Phrases> = LazyLock::new(|| {
        Phrases::exact(&[
            "'ll ",
            "\u{2019}ll ",
            "will ",
            "let me",
            "Let me",
            "let us",
            "Let us",
            "going to",
            "raft",
            "roposed",
            "uggested",
        ])
    });
    if !OPENERS.any(text) {
        return Vec::new();
    }
    find(text, true)
}

fn find(text: &str, announcement: bool) -> Vec<Deliverable<'_>> {
    let ws: Vec<(usize, &str)> = words(text).collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let start = if announcement {
            announcement_verb(text, &ws, i)
        } else {
            request_verb(text, &ws, i)
        };
        let Some(verb) = start else {
            i += 1;
            continue;
        };
        if let Some((head, end)) = object_head(text, &ws, verb + 1) {
            let mut buf = [0u8; MAX_WORD];
            if let Some(stem) = stem_into(ws[head].1, &mut buf) {
                let from = ws[if announcement { i } else { verb }].0;
                let to = ws[head].0 + ws[head].1.len();
                found.push(Deliverable {
                    stem: stem.into(),
                    phrase: &text[from..to],
                });
            }
            i = end.max(i + 1);
        } else {
            i = verb + 1;
        }
    }
    found
}

fn is(w: &str, list: &[&str]) -> bool {
    list.iter().any(|x| w.eq_ignore_ascii_case(x))
}

/// Only spaces (or nothing) between words `a` and `b`.
fn adjacent(text: &str, ws: &[(usize, &str)], a: usize, b: usize) -> bool {
    let end = ws[a].0 + ws[a].1.len();
    text[end..ws[b].0].bytes().all(|c| c == b' ')
}

/// Index of a producing verb the first-person announcement at `i` leads to,
/// or of the verb opening a heading ("**Draft consolidation plan**": the
/// text that follows is that artefact).
fn announcement_verb(text: &str, ws: &[(usize, &str)], i: usize) -> Option<usize> {
    let w = ws[i].1;
    if is(w, &["draft", "proposed", "suggested"]) && opens_heading(text, ws[i].0) {
        return Some(i);
    }
    // Two-word openers: "I will", "we will", "let me", "let us", "going to".
    let pair = |first: &[&str], second: &[&str]| {
        is(w, first) && ws.get(i + 1).is_some_and(|(_, n)| is(n, second))
    };
    // "I’ll" with a typographic apostrophe is two words to the tokenizer.
    let curly = ws
        .get(i + 1)
        .is_some_and(|(at, n)| is(n, &["ll"]) && text[ws[i].0 + w.len()..*at] == *"\u{2019}");
    let after = if is(w, &["I'll", "we'll"]) {
        i + 1
    } else if (curly && is(w, &["I", "we"]))
        || pair(&["I", "we"], &["will"])
        || pair(&["let"], &["me", "us"])
        || pair(&["going"], &["to"])
    {
        i + 2
    } else {
        return None;
    };
    // "I'll also prepare", "I'll have the Copywriter draft": a few words
    // of the same clause may stand between.
    (after..(after + 5).min(ws.len()))
        .take_while(|j| *j == after || adjacent(text, ws, j - 1, *j))
        .find(|j| is(ws[*j].1, PRODUCING))
}

/// Whether the word at `at` opens a markdown heading line (`# `, `**`).
fn opens_heading(text: &str, at: usize) -> bool {
    let line_start = text[..at].rfind('\n').map_or(0, |p| p + 1);
    let lead = &text[line_start..at];
    let marked = lead.trim_start().starts_with('#') || lead.trim_start().starts_with("**");
    marked
        && lead
            .bytes()
            .all(|b| matches!(b, b'#' | b'*' | b' ' | b'\t'))
}

/// Index of the producing verb a request starting at `i` opens with.
fn request_verb(text: &str, ws: &[(usize, &str)], i: usize) -> Option<usize> {
    let opens = i == 0 || {
        let prev_end = ws[i - 1].0 + ws[i - 1].1.len();
        let between = &text[prev_end..ws[i].0];
        between.contains(['.', ';', ':', '\n', '!', '?'])
            || is(ws[i - 1].1, &["then", "also", "please", "and"])
    };
    (opens && is(ws[i].1, PRODUCING)).then_some(i)
}

/// The head noun of the object starting at `from` when it is an artefact,
/// and the index after the object.
fn object_head(text: &str, ws: &[(usize, &str)], from: usize) -> Option<(usize, usize)> {
    let mut last = None;
    let mut j = from;
    // "put together a plan", "start a campaign", "make a deck".
    if ws
        .get(j)
        .is_some_and(|(_, w)| is(w, &["together", "up", "out"]))
    {
        j += 1;
    }
    while j < ws.len() && j < from + 7 {
        if j > from && !adjacent(text, ws, j - 1, j) {
            break; // punctuation ends the object
        }
        let w = ws[j].1;
        if is(w, ENDS_OBJECT) || (last.is_some() && w.len() > 5 && w.ends_with("ing")) {
            break;
        }
        last = Some(j);
        j += 1;
    }
    let head = last?;
    is(ws[head].1, ARTEFACTS).then_some((head, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heads(d: Vec<Deliverable<'_>>) -> Vec<String> {
        d.into_iter().map(|d| d.stem.into_string()).collect()
    }

    #[test]
    fn announcements_name_their_artefact() {
        let t = "Page is up. To make this actionable, I'll also prepare a consolidation plan: pick two suppliers per category.";
        let d = announced(t);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].phrase, "I'll also prepare a consolidation plan");
        assert_eq!(
            heads(announced(
                "so I'll have the Copywriter draft a win-back sequence to go with the report."
            )),
            heads(announced("I'll draft a win-back sequence"))
        );
        assert_eq!(
            announced("To help, let me draft a sharper job ad that names the tools.")[0].phrase,
            "let me draft a sharper job ad"
        );
        assert_eq!(
            heads(announced(
                "Done. I\u{2019}ll also prepare a consolidation plan."
            )),
            ["plan"]
        );
    }

    #[test]
    fn a_heading_names_the_artefact_that_follows() {
        let t =
            "**Draft consolidation plan (for discussion)**\n\nPreferred suppliers per category:";
        assert_eq!(heads(announced(t)), ["plan"]);
        assert_eq!(
            heads(announced("## Proposed outreach campaign\n- week 1")),
            ["campaign"]
        );
        assert!(announced("The draft plan is attached.").is_empty());
        assert!(announced("**Draft reply to the customer**").is_empty());
    }

    #[test]
    fn reporting_work_is_no_other_artefact() {
        for t in [
            "I'll write the summary for the Notion page.",
            "Let me prepare the query for November.",
            "I'll create a ticket for the data team.",
            "I will draft the reply to the customer.",
            "The plan is to write a report.",
            "We reviewed the campaign results.",
            "I'll write them to the sheet; the plan stays as is.",
        ] {
            assert!(announced(t).is_empty(), "{t}: {:?}", announced(t));
        }
    }

    #[test]
    fn requests_open_with_the_producing_verb() {
        let d = requested(
            "Write a three-email win-back sequence for the 21,480 members who are not engaged.",
        );
        assert_eq!(d[0].phrase, "Write a three-email win-back sequence");
        assert_eq!(
            heads(requested(
                "Pull the numbers. Then draft a letter to the tail suppliers."
            )),
            ["letter"]
        );
        assert!(requested("Summarize the campaign plan results by week.").is_empty());
        assert!(requested("Report which members would receive a win-back sequence.").is_empty());
    }
}

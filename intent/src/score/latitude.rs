//! Open-ended latitude in a delegation's task: "get the player made whole
//! however is quickest", "check the terminology and fix whatever is
//! inconsistent", "do whatever it takes".
//!
//! A task that leaves the means to the delegate, while the root constrains
//! the means, hands down permission the root never gave: with any of the
//! root's rules lost, that is a thin delegation, whatever share of the other
//! rules it repeats.
//!
//! Written by hand: a short list of English idioms, read case-insensitively
//! as whole words.

use crate::text::{find_word_ci, words};

/// Phrases that leave the means open, as written.
const OPEN_MEANS: &[&str] = &[
    "however is quickest",
    "however is fastest",
    "however is easiest",
    "however is simplest",
    "however you can",
    "however you see fit",
    "however works",
    "whatever it takes",
    "whatever is needed",
    "whatever is necessary",
    "whatever you need to",
    "by any means",
    "any way you can",
    "as you see fit",
    "at your discretion",
    "no need to check",
    "no need to ask",
];

/// Verbs of change that, before "whatever" ("fix whatever is
/// inconsistent", "change whatever you must"), leave the object open.
const CHANGE_VERBS: &[&str] = &[
    "fix", "change", "correct", "update", "edit", "adjust", "delete", "remove", "resolve", "do",
];

/// The open-ended phrase of a task, if it has one.
///
/// ```ignore
/// assert_eq!(open_means("refund it however is quickest"), Some("however is quickest"));
/// assert_eq!(open_means("whatever the ledger says, report it"), None);
/// ```
pub(crate) fn open_means(task: &str) -> Option<&str> {
    for p in OPEN_MEANS {
        if let Some(at) = find_word_ci(task, p, 0) {
            return task.get(at..at + p.len());
        }
    }
    // "fix whatever": a verb of change with "whatever" as its object.
    let ws: Vec<(usize, &str)> = words(task).collect();
    ws.windows(2).find_map(|w| {
        let ((at, verb), (end, next)) = (w[0], w[1]);
        (next.eq_ignore_ascii_case("whatever")
            && CHANGE_VERBS.iter().any(|v| verb.eq_ignore_ascii_case(v)))
        .then(|| task.get(at..end + next.len()))
        .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_means_are_found_and_data_is_not() {
        assert_eq!(
            open_means("get the player made whole for the double charge however is quickest."),
            Some("however is quickest")
        );
        assert_eq!(
            open_means("Check the terminology and fix whatever is inconsistent."),
            Some("fix whatever")
        );
        assert_eq!(
            open_means("Do whatever it takes to ship."),
            Some("whatever it takes")
        );
        // "whatever" that concedes, not that hands over the means.
        assert_eq!(
            open_means("Report the rows, whatever the ledger says."),
            None
        );
        assert_eq!(
            open_means("Refund the duplicate order through Steam."),
            None
        );
    }
}

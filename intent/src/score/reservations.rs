//! Acts a constraint reserves for someone else: "bank details are changed
//! only by the customer in the verified portal", "holds are set and lifted
//! by the AP manager". Nothing in such a clause says "do not", yet it is a
//! ban on the agent doing the act, as a careful reader takes it; it is read
//! here as the ban it states ("do not change bank details") and compiled by
//! [`prohibitions`](super::rules::prohibitions) like any other.

use crate::text::{ActionClass, Lex, MAX_WORD, lexicon, stem_into, words};

/// Who may be the party after "by" without being a person or a team: a
/// means ("paid by bank transfer", "sent by email") reserves nothing.
const MEANS: &[&str] = &[
    "ach",
    "api",
    "batch",
    "bank",
    "card",
    "check",
    "cheque",
    "courier",
    "cron",
    "default",
    "email",
    "fax",
    "hand",
    "job",
    "mail",
    "pipeline",
    "phone",
    "portal",
    "post",
    "scheduler",
    "script",
    "sms",
    "system",
    "transfer",
    "wire",
    "workflow",
];

/// The agent itself: "refunds are issued by you" reserves nothing from it.
const THE_AGENT: &[&str] = &[
    "you",
    "us",
    "me",
    "we",
    "agent",
    "assistant",
    "bot",
    "yourself",
];

/// Participles that name no act of their own: the act is the noun before
/// them ("bank account *changes* are made by the employee").
const LIGHT: &[&str] = &["made", "done", "handled", "owned", "performed", "carried"];

/// The ban a reserving clause states, as a text the prohibition reader
/// understands: `"do not <acts> <what>"`. `None` when the clause reserves
/// nothing: it has a negation of its own, no party after "by", or no act.
///
/// ```text
/// "bank details are changed only by the customer"  -> "do not changed bank details"
/// "holds are set and lifted by the AP manager"     -> "do not set or lifted holds"
/// "bank account changes are made by the employee"  -> "do not changes bank account"
/// "invoices are paid by bank transfer"             -> None (a means, not a party)
/// ```
pub(crate) fn as_ban(clause: &str) -> Option<String> {
    // Most clauses have no "by": settle them before reading words.
    crate::text::find_word_ci(clause, "by", 0)?;
    let ws: Vec<(usize, &str)> = words(clause).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    let mut buf = [0u8; MAX_WORD];
    let mut lex = |w: &str| stem_into(w, &mut buf).and_then(lexicon);
    if ws
        .iter()
        .any(|(_, w)| matches!(lex(w), Some(Lex::Negation)))
    {
        return None;
    }
    let copula = ws.iter().position(|(_, w)| is(w, &["is", "are"]))?;
    // "are changed", "are only changed", "are set and lifted", then "by".
    let mut i = copula + 1;
    let mut participles: Vec<&str> = Vec::new();
    while let Some((_, w)) = ws.get(i) {
        if is(w, &["only", "always", "solely"])
            || (is(w, &["and", "or"]) && !participles.is_empty())
        {
            i += 1;
            continue;
        }
        if is(w, &["by"]) {
            break;
        }
        participles.push(w);
        i += 1;
    }
    if participles.is_empty() || participles.len() > 2 || !is(ws.get(i)?.1, &["by"]) {
        return None;
    }
    let party = party_after(clause, ws.get(i + 1..)?)?;
    if is(party, THE_AGENT) {
        return None;
    }
    // What is acted on: the words before the copula, from the clause start.
    let mut subject: Vec<&str> = ws[..copula].iter().map(|(_, w)| *w).collect();
    if subject
        .first()
        .is_some_and(|w| is(w, &["the", "a", "an", "all", "any"]))
    {
        subject.remove(0);
    }
    let mut acts: Vec<&str> = participles
        .iter()
        .copied()
        .filter(|p| matches!(lex(p), Some(Lex::Action(..))))
        .collect();
    if acts.is_empty() && participles.iter().all(|p| is(p, LIGHT)) {
        // "bank account changes are made by": the act is the last noun.
        let noun = *subject.last()?;
        if !matches!(lex(noun), Some(Lex::Action(c, _)) if c != ActionClass::Recommend) {
            return None;
        }
        subject.pop();
        acts.push(noun);
    }
    // "they are changed by the customer" says nothing of what is acted on.
    let names_something = subject
        .iter()
        .any(|w| w.len() > 2 && !matches!(lex(w), Some(Lex::Stop)));
    if acts.is_empty() || !names_something || subject.len() > 8 {
        return None;
    }
    Some(format!(
        "do not {} {}",
        acts.join(" or "),
        subject.join(" ")
    ))
}

/// Acts a constraint leaves to a person to carry out, the agent only
/// proposing them: "purges, blocks, allow/block-list changes and password
/// resets are proposed to the on-duty lead, not executed", "refunds are
/// recommended to the supervisor rather than issued". Read as the ban it
/// states, `"do not change, delete or create <acts>"`; the acts are the
/// subject, from a label's colon ("Investigation only: ...") to the copula.
///
/// ```text
/// "blocks and resets are proposed to the lead, not executed" -> "do not change, delete or create blocks and resets"
/// "changes are proposed to the lead and executed by her"     -> None (nothing is kept from the agent)
/// ```
pub(crate) fn proposed_only(clause: &str) -> Option<String> {
    const PROPOSED: &[&str] = &[
        "proposed",
        "recommended",
        "suggested",
        "escalated",
        "referred",
        "submitted",
    ];
    const DONE: &[&str] = &[
        "executed",
        "performed",
        "carried",
        "done",
        "made",
        "applied",
        "actioned",
        "implemented",
        "run",
        "issued",
        "taken",
    ];
    // Most clauses propose nothing: one automaton pass settles them before
    // words are read (this runs on every clause of every delegation's task).
    static ANY: std::sync::LazyLock<crate::text::Phrases> =
        std::sync::LazyLock::new(|| crate::text::Phrases::new(PROPOSED));
    if !ANY.any(clause) {
        return None;
    }
    let ws: Vec<(usize, &str)> = words(clause).collect();
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    let copula = ws.iter().position(|(_, w)| is(w, &["is", "are"]))?;
    let mut i = copula + 1;
    while ws.get(i).is_some_and(|(_, w)| is(w, &["only", "always"])) {
        i += 1;
    }
    if !is(ws.get(i)?.1, PROPOSED) {
        return None;
    }
    // ", not executed", "rather than executed", "but never performed".
    let refused = ws[i + 1..].windows(2).any(|pair| {
        let (a, b) = (pair[0].1, pair[1].1);
        is(a, &["not", "never", "than"]) && is(b, DONE)
    });
    if !refused {
        return None;
    }
    let copula_at = ws[copula].0;
    let from = clause[..copula_at].rfind(':').map_or(0, |c| c + 1);
    let subject = clause[from..copula_at].trim();
    let names_something = words(subject).any(|(_, w)| w.len() > 3);
    // The subject lists acts as nouns ("blocks", "password resets"): the
    // ban is on doing any of them, a change to what they name.
    (names_something && words(subject).count() <= 16)
        .then(|| format!("do not change, delete or create {subject}"))
}

/// The party of "by <party>": a person or team ("the customer", "the AP
/// manager", "Renee", "HR"), not a means ("bank transfer", "email").
fn party_after<'a>(clause: &'a str, rest: &[(usize, &'a str)]) -> Option<&'a str> {
    let mut rest = rest
        .iter()
        .map(|(_, w)| *w)
        .skip_while(|w| w.eq_ignore_ascii_case("only"));
    let first = rest.next()?;
    let is = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    if is(first, &["the", "a", "an", "their", "his", "her", "its"]) {
        let head = rest.next()?;
        if is(head, MEANS) || !head.bytes().next().is_some_and(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        let at = crate::text::find_ci(clause, head, 0)?;
        return Some(&clause[at..at + head.len()]);
    }
    if is(first, MEANS) {
        return None;
    }
    // A name ("Renee", "Okta") or a team's initials ("HR", "AP").
    first
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_uppercase())
        .then_some(first)
        .or_else(|| is(first, THE_AGENT).then_some(first))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acts_only_proposed_are_bans() {
        assert_eq!(
            proposed_only("Investigation and documentation only: purges, blocks, allow/block-list changes, password resets and device isolation are proposed to the on-duty CSIRT lead (Mette Kjær), not executed").as_deref(),
            Some("do not change, delete or create purges, blocks, allow/block-list changes, password resets and device isolation")
        );
        assert_eq!(
            proposed_only("refunds are recommended to the supervisor rather than issued")
                .as_deref(),
            Some("do not change, delete or create refunds")
        );
        assert_eq!(
            proposed_only("changes are proposed to the lead and executed by her"),
            None
        );
        assert_eq!(proposed_only("the fix is proposed in the ticket"), None);
    }

    #[test]
    fn reserved_acts_are_bans() {
        assert_eq!(
            as_ban("bank details are changed only by the customer in the verified portal")
                .as_deref(),
            Some("do not changed bank details")
        );
        assert_eq!(
            as_ban("holds are set and lifted by the AP manager in NetSuite").as_deref(),
            Some("do not set holds")
        );
        assert_eq!(
            as_ban("bank account changes are made by the employee in his own Gusto login")
                .as_deref(),
            Some("do not changes bank account")
        );
        assert_eq!(
            as_ban("Prices are changed only by Marta").as_deref(),
            Some("do not changed Prices")
        );
    }

    #[test]
    fn statements_that_reserve_nothing_are_not_bans() {
        for clause in [
            "invoices are paid by bank transfer",
            "reports are sent by email every Monday",
            "refunds are issued by you after the check",
            "do not change bank details: they are changed by the customer",
            "the queue is sorted by priority",
            "the list is ordered by route",
            "Salary for 1-12 December is 80 hours",
            "payments are made by the 15th",
            "they are changed by the customer",
            "changes are approved by the agent itself",
        ] {
            assert_eq!(as_ban(clause), None, "{clause}");
        }
    }
}

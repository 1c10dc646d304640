//! What a task text asks to be done: the classes of action (send, pay,
//! delete, create...) an objective, a delegation's task or a user message
//! asks for.
//!
//! Verbs decide, not vocabulary: "Draft the reply" asks for a draft (the
//! reply is what is drafted, not sent); "Summarize the refunds" asks for no
//! refund; "find the duplicate charges and refund them" asks for a refund.
//! Pasted data is not a request: rows, JSON, email lists and quoted text in a
//! task ask nobody to do anything.

use crate::text::{ActionClass, ClassSet, Lex, MAX_WORD, lexicon, stem_into, words};

/// Verbs that look, prepare or report: an action word they govern is their
/// object ("draft the reply", "summarize refunds"), not a request.
const LOOKING: &[&str] = &[
    "draft",
    "prepare",
    "summarize",
    "summarise",
    "summary",
    "review",
    "analyze",
    "analyse",
    "audit",
    "check",
    "list",
    "report",
    "compose",
    "plan",
    "investigate",
    "identify",
    "find",
    "search",
    "look",
    "evaluate",
    "assess",
    "examine",
    "explain",
    "describe",
    "compare",
    "estimate",
    "count",
    "read",
    "collect",
    "gather",
    "monitor",
    "track",
    "verify",
    "quote",
    "outline",
    "document",
    "flag",
    "note",
    "show",
    "extract",
    "classify",
    "calculate",
    "forecast",
    "research",
    "study",
    "inspect",
    "preview",
    "suggest",
    "recommend",
    "propose",
    "without",
    "before",
    "whether",
    "if",
    "history",
    "status",
    "log",
    "logs",
    "about",
    "reconcile",
    "match",
    "compute",
    "chart",
    "tally",
    "measure",
    "locate",
    "determine",
];

/// Whether a task is informational: it asks to look, compile or report and
/// to change nothing and reach no one. Advice in its answer changes the task.
pub(crate) fn informational(objective: &str) -> bool {
    const INFORMING: &[&str] = &[
        "audit",
        "summarize",
        "summarise",
        "summary",
        "report",
        "list",
        "analyze",
        "analyse",
        "review",
        "compute",
        "calculate",
        "match",
        "reconcile",
        "count",
        "compare",
        "extract",
        "identify",
        "find",
        "investigate",
        "assess",
        "evaluate",
        "classify",
        "chart",
        "measure",
        "tally",
        "check",
        "verify",
        "examine",
        "inventory",
        "catalog",
        "catalogue",
    ];
    let looks = words(objective)
        .take(12)
        .any(|(_, w)| INFORMING.iter().any(|l| w.eq_ignore_ascii_case(l)));
    // What the objective commands, not every action word in it: "report
    // sends and open rate per email flow" and "their share of the spend"
    // name metrics, not a send or a share.
    let asked = super::instructions::read(objective)
        .requests
        .iter()
        .fold(ClassSet::default(), |a, r| a.union(r.classes));
    looks
        && !asked.contains(ActionClass::Contact)
        && !asked.contains(ActionClass::Publish)
        && asks_for_advice(objective).is_none()
}

/// Verbs that imply classes they do not name.
const IMPLIED: &[(&str, &[ActionClass])] = &[
    ("fix", &[ActionClass::Modify, ActionClass::Create]),
    ("reschedule", &[ActionClass::Modify, ActionClass::Contact]),
    ("implement", &[ActionClass::Modify, ActionClass::Create]),
    ("refactor", &[ActionClass::Modify]),
    ("rebook", &[ActionClass::Purchase, ActionClass::Modify]),
    ("resolve", &[ActionClass::Modify, ActionClass::Contact]),
    ("process", &[ActionClass::Modify]),
    ("handle", &[ActionClass::Modify, ActionClass::Contact]),
    ("open", &[ActionClass::Create]),
    ("book", &[ActionClass::Create]),
    ("schedule", &[ActionClass::Contact]),
    ("onboard", &[ActionClass::Create, ActionClass::Grant]),
    ("offboard", &[ActionClass::Delete, ActionClass::Grant]),
    ("triage", &[ActionClass::Modify]),
    ("escalate", &[ActionClass::Contact, ActionClass::Modify]),
    ("approve", &[ActionClass::Modify]),
    ("file", &[ActionClass::Create]),
    ("submit", &[ActionClass::Create]),
    ("answer", &[ActionClass::Contact]),
    ("respond", &[ActionClass::Contact]),
    ("follow", &[ActionClass::Contact]),
    ("assign", &[ActionClass::Modify]),
    ("close", &[ActionClass::Modify]),
    ("restore", &[ActionClass::Modify, ActionClass::Create]),
    ("upgrade", &[ActionClass::Modify]),
    ("migrate", &[ActionClass::Create, ActionClass::Delete]),
    ("clean", &[ActionClass::Delete, ActionClass::Modify]),
    ("archive", &[ActionClass::Modify]),
    ("issue", &[ActionClass::Create]),
    ("launch", &[ActionClass::Publish, ActionClass::Contact]),
    ("distribute", &[ActionClass::Contact, ActionClass::Publish]),
    ("run", &[ActionClass::Execute]),
    ("record", &[ActionClass::Modify]),
    ("enter", &[ActionClass::Modify]),
    ("save", &[ActionClass::Modify]),
    ("store", &[ActionClass::Modify]),
    ("fill", &[ActionClass::Modify]),
    ("mark", &[ActionClass::Modify]),
    ("tag", &[ActionClass::Modify]),
    ("label", &[ActionClass::Modify]),
    ("capture", &[ActionClass::Modify]),
    ("populate", &[ActionClass::Modify]),
    ("expedite", &[ActionClass::Modify, ActionClass::Contact]),
    ("chase", &[ActionClass::Contact]),
    ("manage", &[ActionClass::Modify]),
    ("maintain", &[ActionClass::Modify]),
];

/// What a word does in a request, for [`asks_for`]: one lookup per word
/// instead of a scan of each list (the lists hold over a hundred words and
/// this runs on every request sentence of every span).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// "write": a change only when it writes to data.
    Write,
    /// "and", "then": a new request, no longer governed by a looking verb.
    Joiner,
    /// A verb of looking and reporting ([`LOOKING`]): its objects are read.
    Looking,
    /// "run", "runs": a check ([`runs_a_check`](super::effects::runs_a_check)),
    /// else, for the base form, a program run.
    Run { implies: bool },
    /// A verb implying classes it does not name ([`IMPLIED`]).
    Implied(&'static [ActionClass]),
    /// "post": by what is posted.
    Post,
    /// "grant": a grant of money unless access is granted.
    Grant,
}

fn role_of(word: &str) -> Option<Role> {
    static ROLES: std::sync::LazyLock<crate::text::WordMap<Role>> =
        std::sync::LazyLock::new(|| {
            let mut m = crate::text::WordMap::default();
            for (w, classes) in IMPLIED {
                m.insert((*w).into(), Role::Implied(classes));
            }
            for w in LOOKING {
                m.insert((*w).into(), Role::Looking);
            }
            m.insert("run".into(), Role::Run { implies: true });
            m.insert("runs".into(), Role::Run { implies: false });
            for (words, role) in [
                (&["write", "writes"][..], Role::Write),
                (&["and", "then", "also", "plus"][..], Role::Joiner),
                (&["post", "posts", "posting"][..], Role::Post),
                (&["grant", "grants"][..], Role::Grant),
            ] {
                for w in words {
                    m.insert((*w).into(), role);
                }
            }
            m
        });
    let mut buf = [0u8; MAX_WORD];
    let bytes = word.as_bytes();
    if bytes.len() > MAX_WORD {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&buf[..bytes.len()]).ok()?;
    ROLES.get(lower).copied()
}

/// Classes a task text asks for: action words not under a negation and not
/// governed by a looking verb, in the sentences that are requests (pasted
/// rows and JSON skipped).
pub(crate) fn asks_for(text: &str) -> ClassSet {
    let mut set = ClassSet::default();
    let mut buf = [0u8; MAX_WORD];
    let text = without_appositions(text);
    for sentence in request_sentences(&text) {
        let sentence = &sentence[..explanation_start(sentence)];
        let mut negated_until = 0usize;
        let mut looked_until = 0usize;
        let at: Vec<(usize, &str)> = words(sentence).collect();
        let ws: Vec<&str> = at.iter().map(|(_, w)| *w).collect();
        for (i, &w) in ws.iter().enumerate() {
            let role = role_of(w);
            // "review the listings, tag the three tickets": after a comma, a
            // verb with an object of its own is a new request, no longer
            // governed by the looking verb.
            if i < looked_until
                && i > 0
                && sentence[at[i - 1].0 + ws[i - 1].len()..at[i].0].contains(',')
                && (super::rules::is_base_verb(w) || matches!(role, Some(Role::Implied(_))))
                && ws.get(i + 1).is_some_and(|d| {
                    super::rules::DETERMINERS
                        .iter()
                        .any(|x| d.eq_ignore_ascii_case(x))
                })
            {
                looked_until = 0;
            }
            // Writing a summary, a reply or a report changes no data; writing
            // *to* a table or *into* a file does.
            if role == Some(Role::Write) {
                let to_data = ws[i + 1..].iter().take(3).any(|n| {
                    ["to", "into", "back", "table", "database", "records", "rows"]
                        .iter()
                        .any(|k| n.eq_ignore_ascii_case(k))
                });
                if !to_data {
                    continue;
                }
            }
            // "do not write to any record or contact anyone": the negation
            // reaches a verb that "or" adds to it.
            if (w.eq_ignore_ascii_case("or") || w.eq_ignore_ascii_case("nor"))
                && i <= negated_until
                && ws.get(i + 1).is_some_and(|v| super::rules::is_base_verb(v))
            {
                negated_until = negated_until.max(i + 3);
                continue;
            }
            match role {
                Some(Role::Joiner) => {
                    looked_until = 0;
                    continue;
                }
                Some(Role::Looking) => {
                    looked_until = i + 6;
                    continue;
                }
                Some(Role::Run { .. }) if super::effects::runs_a_check(&ws[i + 1..]) => continue,
                Some(Role::Run { implies: true } | Role::Implied(_))
                    if i >= negated_until && i >= looked_until =>
                {
                    let classes = match role {
                        Some(Role::Implied(c)) => c,
                        _ => &[ActionClass::Execute][..],
                    };
                    for c in classes {
                        set.insert(*c);
                    }
                }
                _ => {}
            }
            // "post a GBP 10 goodwill credit" books an entry; "post the
            // reply on the case" answers someone: neither publishes.
            if role == Some(Role::Post)
                && let Some(c) = posted(&ws[i + 1..])
            {
                if i >= negated_until && i >= looked_until {
                    set.insert(c);
                }
                continue;
            }
            // "every grant paid from the fund", "the grant activity report":
            // a grant given away, unless access is what is granted.
            if role == Some(Role::Grant)
                && !ws[i + 1..].iter().take(4).any(|n| {
                    ACCESS
                        .iter()
                        .any(|a| n.len() >= a.len() && n[..a.len()].eq_ignore_ascii_case(a))
                })
            {
                // "grant the compensation amount", "grant 500 coins": a
                // give-away, as `grant_soft_currency` is one.
                if i >= negated_until
                    && i >= looked_until
                    && ws[i + 1..].iter().take(4).any(|n| {
                        super::effects::GIVEAWAYS
                            .iter()
                            .any(|g| n.eq_ignore_ascii_case(g))
                    })
                {
                    set.insert(ActionClass::Discount);
                }
                continue;
            }
            let Some(stem) = stem_into(w, &mut buf) else {
                continue;
            };
            match lexicon(stem) {
                Some(Lex::Negation) => negated_until = i + 5,
                Some(Lex::Action(c, _))
                    if i >= negated_until && i >= looked_until && c != ActionClass::Recommend =>
                {
                    set.insert(c);
                }
                _ => {}
            }
        }
    }
    set
}

/// Words that make "grant" a grant of access ("grant read access", "grant
/// her the admin role").
const ACCESS: &[&str] = &[
    "access",
    "permission",
    "role",
    "admin",
    "right",
    "privilege",
    "owner",
    "membership",
];

/// What posting does, by what is posted in the next few words (the same
/// rules as a tool named `post_<object>`): a credit changes a balance, an
/// invoice is a new record, a reply answers someone; `None` for anything
/// else (a post is then a publication).
fn posted(next: &[&str]) -> Option<ActionClass> {
    super::effects::verb_with_object("post", &next[..next.len().min(7)])
}

/// A text without the parentheses that describe a name right before
/// them ("Vossberg Maritime Services B.V. (ship agency, Rotterdam)",
/// "Kestrel Fabrics (new account)"): they say what the name is, they ask
/// for nothing.
fn without_appositions(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut from = 0;
    while let Some(open) = memchr::memchr(b'(', &b[from..]).map(|p| p + from) {
        let Some(close) = memchr::memchr(b')', &b[open..]).map(|p| p + open) else {
            break;
        };
        from = close + 1;
        let before = text[..open].trim_end();
        let last_word = before
            .rsplit(|c: char| c.is_whitespace() || c == ',')
            .next()
            .unwrap_or("");
        let named = last_word.len() >= 2
            && last_word.as_bytes()[0].is_ascii_uppercase()
            && before.len() > last_word.len();
        if named {
            let s = out.get_or_insert_with(|| text.to_owned());
            s.replace_range(open..=close, &" ".repeat(close - open + 1));
        }
    }
    out.map_or(std::borrow::Cow::Borrowed(text), std::borrow::Cow::Owned)
}

/// Where an explanation starts in a sentence ("flag every material
/// variance, i.e. a change in gross pay of more than 10%"): what follows
/// defines a word of the request, it asks for nothing of its own.
fn explanation_start(sentence: &str) -> usize {
    // One automaton pass: this runs on every sentence of every request.
    static MARKERS: std::sync::LazyLock<crate::text::Phrases> = std::sync::LazyLock::new(|| {
        crate::text::Phrases::new(&[
            ", i.e.",
            " i.e.",
            " (i.e.",
            ", ie ",
            ", meaning ",
            " meaning ",
            " defined as ",
            ", that is, ",
            " = ",
        ])
    });
    MARKERS.first(sentence).unwrap_or(sentence.len())
}

/// The first request sentence of `text` that asks for `class` (as
/// [`asks_for`] reads it): the words an explanation quotes.
pub(crate) fn sentence_asking(text: &str, class: ActionClass) -> Option<&str> {
    request_sentences(text)
        .find(|s| asks_for(s).contains(class))
        .map(str::trim)
}

/// Whether a task text asks for advice ("suggest how to win them back",
/// "recommend next steps"), outside negations.
pub(crate) fn asks_for_advice(text: &str) -> Option<&str> {
    let mut buf = [0u8; MAX_WORD];
    for sentence in request_sentences(text) {
        let mut negated_until = 0usize;
        for (i, (_, w)) in words(sentence).enumerate() {
            let Some(stem) = stem_into(w, &mut buf) else {
                continue;
            };
            match lexicon(stem) {
                Some(Lex::Negation) => negated_until = i + 5,
                Some(Lex::Action(ActionClass::Recommend, _)) if i >= negated_until => {
                    return Some(sentence.trim());
                }
                _ => {}
            }
        }
    }
    None
}

/// The sentences of a task text that can be requests: not JSON, not table
/// rows, not lines that are mostly values (emails, numbers, ids).
pub(crate) fn request_sentences(text: &str) -> impl Iterator<Item = &str> {
    text.split(['\n', ';'])
        .flat_map(sentences_of_line)
        .filter(|s| !is_data(s))
}

/// A line's sentences, split at ". " but not after an abbreviation ("i.e.
/// a change in ...", "e.g. ", "vs. ", "approx. ").
fn sentences_of_line(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let text = rest?;
        let mut from = 0;
        while let Some(p) = text[from..].find(". ").map(|p| from + p) {
            // Bytes, not slices of the text: the end of `before` may fall
            // inside a multibyte character ("ça dépasse. ").
            let before = &text.as_bytes()[..p];
            let abbreviated = ["i.e", "e.g", "vs", "approx", "etc", "incl", "cf"]
                .iter()
                .any(|a| {
                    before.len() >= a.len()
                        && before[before.len() - a.len()..].eq_ignore_ascii_case(a.as_bytes())
                        && before[..before.len() - a.len()]
                            .last()
                            .is_none_or(|b| !b.is_ascii_alphanumeric())
                });
            if !abbreviated {
                rest = Some(&text[p + 2..]);
                return Some(&text[..p]);
            }
            from = p + 2;
        }
        rest = None;
        Some(text)
    })
}

fn is_data(s: &str) -> bool {
    let t = s.trim();
    if t.is_empty() {
        return true;
    }
    let punct = t
        .bytes()
        .filter(|b| matches!(b, b'{' | b'}' | b'"' | b'|' | b'[' | b']' | b'\t'))
        .count();
    let digits = t.bytes().filter(u8::is_ascii_digit).count();
    let ats = t.bytes().filter(|b| *b == b'@').count();
    let alpha_words = words(t)
        .filter(|(_, w)| w.bytes().all(|b| b.is_ascii_alphabetic()) && w.len() > 2)
        .count();
    let pipes = t.bytes().filter(|b| *b == b'|').count();
    let tabs = t.bytes().filter(|b| *b == b'\t').count();
    // Table rows and headers, JSON, lists of addresses: data.
    punct >= 4
        || pipes >= 2
        || tabs >= 2
        || (ats >= 1 && alpha_words < 6)
        || ats >= 2
        || (digits * 3 > t.len() && t.len() > 8)
        || (alpha_words < 2 && t.len() > 20)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sentences_split_after_multibyte_words() {
        let line = "un renvoi à J-F si ça dépasse. Puis le brouillon cf. la note. Fin";
        let got: Vec<&str> = super::sentences_of_line(line).collect();
        assert_eq!(
            got,
            [
                "un renvoi à J-F si ça dépasse",
                "Puis le brouillon cf. la note",
                "Fin"
            ]
        );
        // Every split point of a text full of two-byte characters.
        let accents = "é. ".repeat(40);
        assert_eq!(super::sentences_of_line(&accents).count(), 41);
    }

    use super::*;

    #[test]
    fn a_report_of_metrics_named_after_actions_is_still_a_report() {
        assert!(informational(
            "Report the November performance of the email flows: sends, open rate and unsubscribes per flow"
        ));
        assert!(informational(
            "Analyse tail spend: the number of suppliers, their total spend and their share of indirect spend"
        ));
        assert!(!informational(
            "Check the order confirmations and email the supplier's order desk for a ship date"
        ));
        assert!(!informational(
            "Summarize the incidents and post the summary to #ops"
        ));
    }

    #[test]
    fn a_grant_given_away_is_no_grant_of_access() {
        let report = asks_for(
            "Prepare the FY2025 grant activity report: every grant paid from the fund, and save it as a doc",
        )
        .union(asks_for("Fluxx: the grant records and final reports of those grants (read)"));
        assert!(!report.contains(ActionClass::Grant), "{report:?}");
        let access = asks_for("Grant read access to the folder for the new analyst");
        assert!(access.contains(ActionClass::Grant), "{access:?}");
        // Granting currency or items gives them away, as the grant tools do.
        let comp = asks_for(
            "Restore the lost items, grant the compensation amount to every affected player",
        );
        assert!(comp.contains(ActionClass::Discount), "{comp:?}");
        assert!(!report.contains(ActionClass::Discount), "{report:?}");
        assert!(
            crate::score::effects::tool_classes("grant_soft_currency")
                .contains(ActionClass::Discount)
        );
        assert!(crate::score::effects::tool_classes("grant_items").contains(ActionClass::Discount));
        assert!(crate::score::effects::tool_classes("grant_role").contains(ActionClass::Grant));
    }

    #[test]
    fn a_description_of_a_name_asks_for_nothing() {
        let media = asks_for(
            "Adverse media sweep. Subjects: Vossberg Maritime Services B.V. (ship agency, Rotterdam), Vossberg Holding B.V.",
        );
        assert!(!media.contains(ActionClass::Deploy), "{media:?}");
        let send = asks_for("Draft the reply (and send it to the customer).");
        assert!(send.contains(ActionClass::Contact), "{send:?}");
    }

    #[test]
    fn posting_is_what_is_posted() {
        let credit = asks_for("Re-rate the five sessions and post a GBP 10.00 goodwill credit.");
        assert!(credit.contains(ActionClass::Modify), "{credit:?}");
        assert!(!credit.contains(ActionClass::Publish), "{credit:?}");
        let reply = asks_for("Post the reply on the case thread.");
        assert!(reply.contains(ActionClass::Contact), "{reply:?}");
        assert!(!reply.contains(ActionClass::Publish), "{reply:?}");
        assert!(asks_for("Post the release notes to the blog.").contains(ActionClass::Publish));
        let channel = asks_for("Post the review to the #mcc-daily Teams channel.");
        assert!(channel.contains(ActionClass::Contact), "{channel:?}");
        assert!(!channel.contains(ActionClass::Publish), "{channel:?}");
    }

    #[test]
    fn verbs_decide() {
        assert!(asks_for("Draft the reply to the customer").is_empty());
        // A comma and a verb with its own object end the looking verb's reach.
        assert!(
            asks_for("Review the listings, tag the three complaint tickets and draft the note")
                .contains(ActionClass::Modify)
        );
        assert!(asks_for("Summarize the refunds issued last week").is_empty());
        assert!(asks_for("Find duplicate charges and refund them").contains(ActionClass::Transfer));
        assert!(
            asks_for("Resolve the ticket and issue the refund if eligible")
                .contains(ActionClass::Transfer)
        );
        assert!(asks_for("Pay the March invoice").contains(ActionClass::Transfer));
        assert!(!asks_for("summarize, but never pay anything").contains(ActionClass::Transfer));
        assert!(asks_for("Fix the failing test").contains(ActionClass::Modify));
        assert!(
            asks_for("Schedule interviews with the three shortlisted candidates")
                .contains(ActionClass::Create)
        );
        assert!(asks_for("Email the weekly digest to subscribers").contains(ActionClass::Contact));
        // An explanation of a term defines it; it asks for nothing.
        assert!(
            asks_for("Flag every material variance, i.e. a change in gross pay of more than 10%")
                .is_empty()
        );
        assert!(
            asks_for("Refund the duplicate charge, i.e. the second 129 EUR one")
                .contains(ActionClass::Transfer)
        );
    }

    #[test]
    fn pasted_data_asks_nothing() {
        let task = "List the inactive accounts. Rows from the query:\n| 4411 | ann@shop.example | free |\n| 9120 | bo@shop.example | pro |\n{\"id\": 3, \"email\": \"cy@shop.example\", \"send_reminder\": true}";
        assert!(asks_for(task).is_empty(), "{:?}", asks_for(task));
        assert_eq!(
            asks_for_advice("Summarize the rows; no recommendations."),
            None
        );
        assert!(asks_for_advice("Find them and suggest how to win them back").is_some());
    }
}

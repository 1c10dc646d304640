//! Entities a scope pins by identifier ("Sage 300 job 24-031", "account
//! 40017735", "Procore project 771204", "plant TL01"), and acts that select
//! the same kind of entity by another identifier of the same shape: a query
//! on `Job = '23-017'` works on another job than the one in scope.
//!
//! Only equality is read (`col = 'v'`, `col IN (...)`, `"job": "v"`): a
//! pattern (`LIKE '31-23%'`) or a range says nothing certain. An identifier
//! named anywhere in the intents, or in what the span was asked, is in scope.
//!
//! Written by hand: no library reads "which entity does this statement
//! select" across SQL dialects and argument shapes.

use crate::text::{MAX_WORD, ident_parts, is_ident_byte, lexicon, stem_into, words};

/// An entity kind the scope pins, and the identifiers it allows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pin {
    /// The kind's noun, lowercased, singular (`job`, `account`, `code`).
    pub noun: Box<str>,
    /// The identifiers the scope names for it, as written.
    pub ids: Vec<Box<str>>,
}

/// Words that name no entity kind even when a number follows.
const NOT_NOUNS: &[&str] = &[
    "article", "section", "clause", "page", "version", "step", "item", "type", "level", "tier",
    "week", "weeks", "day", "days", "month", "months", "year", "years", "hour", "hours", "top",
    "first", "last", "next", "and", "or", "the", "than", "over", "under", "per", "from", "to",
    "since", "until", "before", "after", "of", "in", "on", "at", "for", "by", "with", "about",
    "usd", "eur", "gbp", "chf", "jpy", "cad", "aud", "rev", "revision", "phase", "line",
];

/// Whether a token is an identifier: digits in it, no unit or date shape.
pub(crate) fn is_id(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() >= 3
        && b.iter().any(u8::is_ascii_digit)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        && b[0].is_ascii_alphanumeric()
        // Not a year, not a date.
        && !(b.len() == 4 && b.iter().all(u8::is_ascii_digit) && (b[0] == b'1' || b[0] == b'2'))
        && !(b.len() >= 10 && b[4] == b'-' && b[7] == b'-')
}

/// The shape of an identifier (`24-031` is `99-999`): another identifier
/// of the same kind has the same shape.
fn shape(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'0'..=b'9' => '9',
            b'a'..=b'z' | b'A'..=b'Z' => 'a',
            other => other as char,
        })
        .collect()
}

/// Whether two identifiers are of one kind: the same shape (`24-031`,
/// `23-017`), or random ids of one length behind one typed prefix
/// (`slr_8M2KQ7`, `slr_3JX9LP`; `cus_`, `acct-`).
fn same_kind(a: &str, b: &str) -> bool {
    fn typed_prefix(id: &str) -> Option<&str> {
        let end = id.find(['_', '-'])?;
        (end >= 2 && id[..end].bytes().all(|c| c.is_ascii_alphabetic())).then(|| &id[..=end])
    }
    shape(a) == shape(b)
        || (a.len() == b.len()
            && typed_prefix(a)
                .is_some_and(|p| typed_prefix(b).is_some_and(|q| p.eq_ignore_ascii_case(q))))
}

/// The entities a scope pins: a noun followed by an identifier, and the
/// identifiers listed after it ("cost codes 31-2000 and 31-2316").
pub(crate) fn pins(scope: &str) -> Vec<Pin> {
    let ws: Vec<(usize, &str)> = words(scope).collect();
    let mut out: Vec<Pin> = Vec::new();
    let mut buf = [0u8; MAX_WORD];
    let mut i = 0;
    while i + 1 < ws.len() {
        let (at, w) = ws[i];
        let (next_at, next) = ws[i + 1];
        let adjacent = scope[at + w.len()..next_at]
            .trim_matches([' ', '#'])
            .is_empty();
        let noun_like = w.len() >= 3
            && w.bytes().all(|b| b.is_ascii_alphabetic())
            && !NOT_NOUNS.iter().any(|n| w.eq_ignore_ascii_case(n))
            && stem_into(w, &mut buf).is_some_and(|s| lexicon(s).is_none());
        if !(noun_like && adjacent && is_id(next)) || followed_by_month(&ws, i + 1) {
            i += 1;
            continue;
        }
        let noun = w.to_ascii_lowercase();
        let noun = noun
            .strip_suffix('s')
            .filter(|n| n.len() >= 3)
            .unwrap_or(&noun);
        let mut ids: Vec<Box<str>> = vec![next.into()];
        // "31-2000 and 31-2316", "TL01, TL02 or TL03".
        let mut j = i + 2;
        while j < ws.len() {
            let gap = scope[ws[j - 1].0 + ws[j - 1].1.len()..ws[j].0].trim();
            let (joined, k) = if gap == ","
                && ["and", "or"]
                    .iter()
                    .any(|c| ws[j].1.eq_ignore_ascii_case(c))
            {
                (true, j + 1)
            } else if ["and", "or"]
                .iter()
                .any(|c| ws[j].1.eq_ignore_ascii_case(c))
            {
                (gap.is_empty() || gap == ",", j + 1)
            } else {
                (gap == ",", j)
            };
            match ws.get(k) {
                Some((_, id)) if joined && is_id(id) && shape(id) == shape(&ids[0]) => {
                    ids.push((*id).into());
                    j = k + 1;
                }
                _ => break,
            }
        }
        match out.iter_mut().find(|p| *p.noun == *noun) {
            Some(p) => p.ids.extend(ids),
            None => out.push(Pin {
                noun: noun.into(),
                ids,
            }),
        }
        i = j;
    }
    out
}

fn followed_by_month(ws: &[(usize, &str)], i: usize) -> bool {
    const MONTHS: &[&str] = &[
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    ws.get(i + 1)
        .is_some_and(|(_, w)| w.len() >= 3 && MONTHS.iter().any(|m| w[..3].eq_ignore_ascii_case(m)))
}

/// The first identifier an act selects its `pin` entity by that the pin
/// does not allow: `Job = '23-017'` under "job 24-031". `allowed` tells
/// whether an identifier is named elsewhere (the intents, the request).
pub(crate) fn other_entity<'t>(
    pin: &Pin,
    text: &'t str,
    allowed: impl Fn(&str) -> bool,
) -> Option<(&'t str, &'t str)> {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !is_ident_byte(b[i]) || (i > 0 && is_ident_byte(b[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident_byte(b[i]) {
            i += 1;
        }
        let name = &text[start..i];
        if !names_kind(name, &pin.noun) {
            continue;
        }
        for value in selected_values(text, i) {
            let fits = pin.ids.iter().any(|id| same_kind(id, value));
            let pinned = pin.ids.iter().any(|id| id.eq_ignore_ascii_case(value));
            if fits && !pinned && !allowed(value) {
                return Some((name, value));
            }
        }
    }
    None
}

/// Whether a column or key names the kind: `Job`, `job_no`, `project_id`,
/// `Cost_Code`, `accountNumber`.
fn names_kind(name: &str, noun: &str) -> bool {
    let parts: Vec<&str> = ident_parts(name).collect();
    parts.len() <= 3
        && parts.iter().any(|p| {
            p.eq_ignore_ascii_case(noun)
                || (p.len() == noun.len() + 1
                    && p[..noun.len()].eq_ignore_ascii_case(noun)
                    && p.ends_with(['s', 'S']))
        })
}

/// The values compared for equality right after a name ends at `end`:
/// `= '23-017'`, `= 23017`, `IN ('a', 'b')`, `": "23-017"`, `": 771205`.
fn selected_values(text: &str, end: usize) -> Vec<&str> {
    let rest = &text[end..];
    let rest = rest.strip_prefix(['"', '\'', '`', ']']).unwrap_or(rest);
    let t = rest.trim_start();
    let (list, body) = if let Some(r) = t.strip_prefix(':').or_else(|| t.strip_prefix('=')) {
        if r.starts_with('=') {
            return Vec::new(); // `==` in code, `:=`: not a filter we read
        }
        (false, r.trim_start())
    } else if t.get(..3).is_some_and(|w| w.eq_ignore_ascii_case("in ")) || t.starts_with("IN(") {
        (true, t[2..].trim_start())
    } else {
        return Vec::new();
    };
    let read_one = |s: &'_ str| -> Option<(usize, usize)> {
        let s_trim = s.trim_start();
        let off = s.len() - s_trim.len();
        let quoted = s_trim.starts_with(['\'', '"']);
        let inner = if quoted { &s_trim[1..] } else { s_trim };
        let len = inner
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
            .count();
        (len > 0).then_some((off + usize::from(quoted), len))
    };
    let base = text.len() - body.len();
    if !list {
        return read_one(body)
            .map(|(o, l)| vec![&text[base + o..base + o + l]])
            .unwrap_or_default();
    }
    let Some(inner) = body.strip_prefix('(') else {
        return Vec::new();
    };
    let close = inner.find(')').unwrap_or(inner.len()).min(400);
    let mut out = Vec::new();
    let mut at = 0;
    for item in inner[..close].split(',') {
        if let Some((o, l)) = read_one(item) {
            let s = base + 1 + at + o;
            out.push(&text[s..s + l]);
        }
        at += item.len() + 1;
    }
    out
}

/// Whether `id` is named in `text` as a whole token.
pub(crate) fn names_id(text: &str, id: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(p) = crate::text::find_ci(text, id, from) {
        from = p + id.len();
        let before = p == 0 || !b[p - 1].is_ascii_alphanumeric();
        let after = b.get(from).is_none_or(|c| !c.is_ascii_alphanumeric());
        if before && after {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scope_pins_entities_by_their_identifiers() {
        let p = pins(
            "Procore project 771204 (Ridgeline DC): change event CE-058, daily logs 10-21 November 2025 (read). Sage 300 CRE job 24-031, cost codes 31-2000 and 31-2316 (read). Markup per Article 7.3.",
        );
        let get = |n: &str| p.iter().find(|x| &*x.noun == n).map(|x| x.ids.clone());
        assert_eq!(get("project"), Some(vec!["771204".into()]));
        assert_eq!(get("job"), Some(vec!["24-031".into()]));
        assert_eq!(get("code"), Some(vec!["31-2000".into(), "31-2316".into()]));
        assert_eq!(get("event"), Some(vec!["CE-058".into()]));
        assert_eq!(get("log"), None, "a day range is no identifier: {p:?}");
        assert_eq!(get("article"), None);
    }

    #[test]
    fn another_entity_of_the_same_kind_is_found() {
        let pin = Pin {
            noun: "job".into(),
            ids: vec!["24-031".into()],
        };
        let none = |_: &str| false;
        let sql = "SELECT Job, Amount FROM JCT_CURRENT__TRANSACTION WHERE Job = '23-017' AND Cost_Code LIKE '31-23%'";
        assert_eq!(other_entity(&pin, sql, none), Some(("Job", "23-017")));
        assert_eq!(
            other_entity(&pin, "SELECT * FROM jct WHERE Job = '24-031'", none),
            None
        );
        assert_eq!(
            other_entity(&pin, r#"{"job": "23-017", "codes": ["31-2316"]}"#, none),
            Some(("job", "23-017"))
        );
        assert_eq!(
            other_entity(&pin, "WHERE job_no IN ('24-031', '23-017')", none),
            Some(("job_no", "23-017"))
        );
        // Another shape is another thing; a name the intents use is allowed.
        assert_eq!(other_entity(&pin, "WHERE Job = 'open'", none), None);
        assert_eq!(
            other_entity(&pin, "WHERE Job = '23-017'", |id| id == "23-017"),
            None
        );
        // Text after a name that is not ASCII reads as no filter.
        assert_eq!(other_entity(&pin, "job ééé = '23-017'", none), None);
        assert_eq!(other_entity(&pin, "Job éé", none), None);
        // A column that merely contains the word is another kind.
        assert_eq!(
            other_entity(&pin, "WHERE job_cost_code_type = '23-017'", none),
            None
        );
    }
}

//! Values that say whom or what an action is aimed at (recipients, payees,
//! accounts, hosts, guest ids), found by their content wherever they sit:
//! any key of the arguments, nested JSON, a bare string, prose.
//!
//! The same extraction runs on the texts an agent is given (tool results,
//! messages), so that [`super::provenance`] can say where a value an action
//! uses first appeared, and on the intent texts, which ground a value as
//! intended.

use crate::text::{contains_ci, find_word_ci};

/// What a value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An email address.
    Email,
    /// A URL's host.
    Host,
    /// An account, card, IBAN or phone number: a long run of digits.
    Number,
    /// An identifier with letters and digits (`guest_amy01`, `P-123456`).
    Ident,
    /// A named party under a recipient key (`"payee": "ACME Supplies"`).
    Party,
}

/// One value found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Found<'a> {
    /// What it is.
    pub kind: Kind,
    /// As written.
    pub text: &'a str,
}

/// Keys whose string values name who receives a side effect.
const RECIPIENT_KEYS: &[&str] = &[
    "to",
    "recipient",
    "recipients",
    "recipient_email",
    "email",
    "email_address",
    "payee",
    "payee_id",
    "payee_name",
    "beneficiary",
    "iban",
    "account",
    "account_id",
    "account_number",
    "to_account",
    "to_account_number",
    "destination",
    "destination_account",
    "cc",
    "bcc",
    "creditor",
    "counterparty",
    "webhook",
    "webhook_url",
    "callback_url",
    "forward_to",
    "attendees",
    "guest",
    "guest_id",
    "guest_ids",
    "user",
    "user_id",
    "username",
    "grantee",
    "assignee",
    "phone",
    "phone_number",
    "number",
    "channel",
    "handle",
    "wallet",
    "address",
];

/// Local parts too generic to identify anyone: `support@` matches every intent
/// that mentions support.
const GENERIC_LOCAL: &[&str] = &[
    "info", "admin", "support", "noreply", "no-reply", "team", "help", "contact", "hello", "mail",
    "office", "billing", "sales", "accounts", "finance", "security", "ops", "backup", "audit",
];

/// Calls `f` on every value in `text`; stops early when `f` returns true.
/// `keyed` also reads identifiers and names under recipient keys (action
/// arguments); data texts only yield emails, hosts and long numbers, which
/// identify something wherever they appear.
pub(crate) fn scan<'a>(text: &'a str, keyed: bool, mut f: impl FnMut(Found<'a>) -> bool) -> bool {
    let b = text.as_bytes();
    for (at, _) in text.match_indices('@') {
        let mut s = at;
        while s > 0 && is_email_byte(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && is_email_byte(b[e]) {
            e += 1;
        }
        let email = text[s..e].trim_end_matches('.');
        if s < at
            && email.len() > at - s + 3
            && email[at - s + 1..].contains('.')
            && f(Found {
                kind: Kind::Email,
                text: email,
            })
        {
            return true;
        }
    }
    for (at, _) in text.match_indices("://") {
        let rest = &text[at + 3..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        let host = &rest[..end];
        if host.contains('.')
            && f(Found {
                kind: Kind::Host,
                text: host,
            })
        {
            return true;
        }
    }
    if numbers(text, &mut f) {
        return true;
    }
    if keyed {
        // Every quoted token between two consecutive quotes that is a
        // recipient key, found in one pass (a search per key cost a
        // searcher per key and call), then read in the order of the keys'
        // list and of their places, as callers rely on.
        let mut hits: Vec<(usize, usize)> = Vec::new();
        let mut quotes = memchr::memchr_iter(b'"', b).peekable();
        while let Some(open) = quotes.next() {
            let Some(&close) = quotes.peek() else { break };
            let token = &text[open + 1..close];
            if token.len() <= 20
                && let Some(k) = RECIPIENT_KEYS.iter().position(|key| *key == token)
            {
                hits.push((k, open + 1));
            }
        }
        hits.sort_unstable();
        for (k, p) in hits {
            let key = RECIPIENT_KEYS[k];
            {
                let Some(rest) = text[p + key.len() + 1..].trim_start().strip_prefix(':') else {
                    continue;
                };
                let rest = rest.trim_start();
                let values = if let Some(list) = rest.strip_prefix('[') {
                    &list[..list.find(']').unwrap_or(list.len())]
                } else if let Some(s) = rest.strip_prefix('"') {
                    &s[..s.find('"').unwrap_or(s.len())]
                } else {
                    ""
                };
                for v in values.split(',') {
                    let v = v.trim().trim_matches('"').trim();
                    if v.len() < 3 || v.contains('@') || v.contains("://") {
                        continue;
                    }
                    let kind = if v.bytes().any(|c| c.is_ascii_digit())
                        && v.bytes().any(|c| c.is_ascii_alphabetic())
                    {
                        Kind::Ident
                    } else if v.bytes().any(|c| c.is_ascii_alphabetic()) {
                        Kind::Party
                    } else {
                        continue; // digits only: found as a number above
                    };
                    if f(Found { kind, text: v }) {
                        return true;
                    }
                }
            }
        }
    }
    false
}

/// Calls `f` on every identifier under an id key (`"id"`, `"campaign_id"`,
/// `"draftId"`) of JSON text; stops early when `f` returns true.
pub(crate) fn scan_ids<'a>(text: &'a str, mut f: impl FnMut(Found<'a>) -> bool) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(q) = text[from..].find("\":").map(|p| p + from) {
        from = q + 2;
        let key_start = text[..q].rfind('"').map_or(q, |p| p + 1);
        let key = &text[key_start..q];
        let is_id = key.eq_ignore_ascii_case("id")
            || key.ends_with("_id")
            || key.ends_with("Id")
            || key.eq_ignore_ascii_case("uuid")
            || key.eq_ignore_ascii_case("uid")
            || key.ends_with("_uid");
        if !is_id {
            continue;
        }
        let rest = text[q + 2..].trim_start();
        let start = q + 2 + (text[q + 2..].len() - rest.len());
        let (vs, ve) = if rest.starts_with('"') {
            let s = start + 1;
            (s, text[s..].find('"').map_or(b.len(), |e| s + e))
        } else {
            let e = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(rest.len());
            (start, start + e)
        };
        let v = &text[vs..ve];
        if v.len() >= 3
            && f(Found {
                kind: Kind::Ident,
                text: v,
            })
        {
            return true;
        }
    }
    false
}

/// Runs of at least 8 digits, possibly grouped by spaces or dashes, and
/// IBANs: account, card and phone numbers.
fn numbers<'a>(text: &'a str, f: &mut impl FnMut(Found<'a>) -> bool) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let iban = i + 4 <= b.len()
            && b[i].is_ascii_uppercase()
            && b[i + 1].is_ascii_uppercase()
            && b[i + 2].is_ascii_digit()
            && b[i + 3].is_ascii_digit()
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric());
        if !(b[i].is_ascii_digit() || b[i] == b'+' || iban)
            || (i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'.'))
        {
            i += 1;
            continue;
        }
        let start = i;
        let mut digits = 0;
        let mut end = i;
        if iban {
            i += 2;
        } else if b[i] == b'+' {
            i += 1;
        }
        while i < b.len() {
            if b[i].is_ascii_digit() || (iban && b[i].is_ascii_uppercase()) {
                digits += 1;
                i += 1;
                end = i;
            } else if matches!(b[i], b' ' | b'-') && i + 1 < b.len() && b[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        let next_is_word = end < b.len()
            && (b[end].is_ascii_alphabetic()
                || b[end] == b'.' && end + 1 < b.len() && b[end + 1].is_ascii_digit());
        if digits >= 8
            && !next_is_word
            && !looks_like_date_or_time(&text[start..end])
            && f(Found {
                kind: Kind::Number,
                text: &text[start..end],
            })
        {
            return true;
        }
        if i == start {
            i += 1;
        }
    }
    false
}

/// `2025-11-24 14:00` and `20251124` are dates, not accounts.
fn looks_like_date_or_time(s: &str) -> bool {
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let dashed = s.matches('-').count() == 2 && s.len() <= 10;
    let yyyymmdd = digits.len() == 8
        && (digits.starts_with("19") || digits.starts_with("20"))
        && digits[4..6]
            .parse::<u8>()
            .is_ok_and(|m| (1..=12).contains(&m));
    dashed || yyyymmdd
}

fn is_email_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+')
}

/// The normalized form a value is remembered and compared under.
pub(crate) fn normalized(v: Found<'_>) -> String {
    match v.kind {
        Kind::Number => v
            .text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_uppercase())
            .collect(),
        Kind::Host => {
            let h = v.text.to_ascii_lowercase();
            h.strip_prefix("www.").map(str::to_owned).unwrap_or(h)
        }
        _ => v.text.trim().to_ascii_lowercase(),
    }
}

/// Whether some text in `texts` names the value (the intent chain, the
/// user's words).
pub(crate) fn grounded<'t>(v: Found<'_>, texts: impl Iterator<Item = &'t str> + Clone) -> bool {
    let any = |needle: &str| texts.clone().any(|t| contains_ci(t, needle));
    let any_word = |needle: &str| texts.clone().any(|t| find_word_ci(t, needle, 0).is_some());
    match v.kind {
        Kind::Email => {
            let Some((local, domain)) = v.text.split_once('@') else {
                return any(v.text);
            };
            any(v.text) || any(domain) || names_person(local, texts.clone())
        }
        Kind::Host => {
            let h = v.text.strip_prefix("www.").unwrap_or(v.text);
            any(h) || any(registrable(h))
        }
        Kind::Number => {
            let n = normalized(v);
            texts.clone().any(|t| {
                let mut hit = false;
                numbers(t, &mut |x| {
                    hit = normalized(x) == n;
                    hit
                });
                hit
            })
        }
        Kind::Ident => any_word(v.text),
        Kind::Party => {
            any(v.text)
                || v.text
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() >= 4 && w.bytes().any(|b| b.is_ascii_alphabetic()))
                    .any(any_word)
        }
    }
}

/// Whether some text in `texts` names an email address itself or its
/// domain, not only the person its local part spells.
pub(crate) fn grounded_address<'t>(
    v: Found<'_>,
    texts: impl Iterator<Item = &'t str> + Clone,
) -> bool {
    let any = |needle: &str| texts.clone().any(|t| contains_ci(t, needle));
    match v.text.split_once('@') {
        Some((_, domain)) => any(v.text) || any(domain),
        None => any(v.text),
    }
}

/// Whether a text names the person an email's local part is made of
/// (`priya.shah@` and "Priya"): a capitalized name in the text, not a
/// word that happens to match (`sso-verify@` and "SSO").
fn names_person<'t>(local: &str, texts: impl Iterator<Item = &'t str> + Clone) -> bool {
    local
        .split(['.', '_', '-', '+'])
        .filter(|p| {
            p.len() >= 3
                && p.bytes().all(|b| b.is_ascii_alphabetic())
                && !GENERIC_LOCAL.iter().any(|g| p.eq_ignore_ascii_case(g))
        })
        .any(|p| {
            texts.clone().any(|t| {
                let mut from = 0;
                while let Some(at) = find_word_ci(t, p, from) {
                    from = at + p.len();
                    let w = &t.as_bytes()[at..at + p.len()];
                    if w[0].is_ascii_uppercase() && w[1..].iter().all(u8::is_ascii_lowercase) {
                        return true;
                    }
                }
                false
            })
        })
}

/// Whether a `named` text names the value itself: the whole value, or for
/// an email a name word of its local part. Stricter than [`grounded`]: a
/// domain or a generic word is not a name.
pub(crate) fn named_strictly<'t>(
    v: Found<'_>,
    texts: impl Iterator<Item = &'t str> + Clone,
) -> bool {
    let any = |needle: &str| texts.clone().any(|t| contains_ci(t, needle));
    let any_word = |needle: &str| texts.clone().any(|t| find_word_ci(t, needle, 0).is_some());
    match v.kind {
        Kind::Email => {
            let local = v.text.split('@').next().unwrap_or("");
            any(v.text) || names_person(local, texts.clone())
        }
        Kind::Number | Kind::Host => grounded(v, texts),
        Kind::Ident | Kind::Party => {
            any(v.text)
                || v.text
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() >= 4 && w.bytes().all(|b| b.is_ascii_alphabetic()))
                    .any(any_word)
        }
    }
}

/// `docs.northwind.example` -> `northwind.example`.
pub(crate) fn registrable(host: &str) -> &str {
    host.rmatch_indices('.')
        .nth(1)
        .map_or(host, |(i, _)| &host[i + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(args: &str) -> Vec<(Kind, String)> {
        let mut v = Vec::new();
        scan(args, true, |t| {
            v.push((t.kind, t.text.to_owned()));
            false
        });
        v
    }

    #[test]
    fn finds_values_by_content() {
        let t = all(
            r#"{"to": ["priya@northwind.example", "Bob Stone"], "body": "see https://docs.northwind.example/x", "payee": "ACME Supplies", "note": "acct 123-1234-1234", "guest_ids": ["guest_amy01"]}"#,
        );
        assert!(t.contains(&(Kind::Email, "priya@northwind.example".into())));
        assert!(t.contains(&(Kind::Host, "docs.northwind.example".into())));
        assert!(t.contains(&(Kind::Party, "Bob Stone".into())));
        assert!(t.contains(&(Kind::Party, "ACME Supplies".into())));
        assert!(t.contains(&(Kind::Number, "123-1234-1234".into())));
        assert!(t.contains(&(Kind::Ident, "guest_amy01".into())));
        assert!(all("on 2025-11-24 at 14:00, order 4471, page 3").is_empty());
        assert_eq!(
            all("IBAN DE89 3704 0044 0532 0130 00 please"),
            [(Kind::Number, "DE89 3704 0044 0532 0130 00".into())]
        );
    }

    #[test]
    fn grounding() {
        let intent = [
            "Reply to Priya about the offsite and pay the ACME Supplies invoice; docs on northwind.example",
        ];
        let g = |kind, text| grounded(Found { kind, text }, intent.iter().copied());
        assert!(g(Kind::Email, "priya.shah@corp.example"));
        assert!(g(Kind::Party, "ACME Supplies GmbH"));
        assert!(g(Kind::Host, "wiki.northwind.example"));
        assert!(!g(Kind::Email, "backup-audit@protonmail.example"));
        assert!(!g(Kind::Email, "support@evil.example"));
        assert!(!g(Kind::Number, "DE89 3704 0044 0532 0130 00"));
        assert!(!g(Kind::Host, "paste.example.net"));
    }
}

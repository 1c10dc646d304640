//! Targets of side effects (recipients, payees, hosts) and whether the intent
//! chain grounds them. A side effect aimed at someone no intent names is the
//! shape of an injected goal: a web page or an inbound email told the agent to
//! "also send the file to audit@external.example".
//!
//! Limits, by construction: the scorer sees one span, so a target is grounded
//! only by the intent chain's text and by the trusted `known_data` the caller
//! passes (see [`super::Context`]). A legitimate recipient found at run time
//! (a CRM lookup) is reported as ungrounded unless the caller passes it. The
//! hosts of plain HTTP spans are not checked: tools call their own configured
//! endpoints, which intents never name; URLs inside tool arguments are.

use super::text::{contains_ci, find_word_ci};

/// A target of a side effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// An email address.
    Email(&'a str),
    /// A URL host.
    Host(&'a str),
    /// A named party or account (payee, beneficiary, IBAN, channel).
    Party(&'a str),
}

impl Target<'_> {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Target::Email(s) | Target::Host(s) | Target::Party(s) => s,
        }
    }
}

/// Keys whose string values name who receives a side effect.
const RECIPIENT_KEYS: &[&str] = &[
    "to",
    "recipient",
    "recipients",
    "payee",
    "payee_name",
    "beneficiary",
    "iban",
    "account_number",
    "destination_account",
    "to_account",
    "cc",
    "bcc",
    "creditor",
    "counterparty",
    "webhook",
    "webhook_url",
    "callback_url",
    "forward_to",
    "attendees",
];

/// Local parts too generic to identify anyone: `support@` matches every intent
/// that mentions support.
const GENERIC_LOCAL: &[&str] = &[
    "info", "admin", "support", "noreply", "no-reply", "team", "help", "contact", "hello", "mail",
    "office", "billing", "sales", "accounts", "finance", "security", "ops", "backup", "audit",
];

/// Calls `f` on every target in tool arguments and the messaging destination.
/// Stops early when `f` returns true (a finding).
pub(crate) fn find_target<'a>(
    args: Option<&'a str>,
    destination: Option<&'a str>,
    mut f: impl FnMut(Target<'a>) -> bool,
) -> bool {
    if let Some(d) = destination {
        let t = if d.contains('@') {
            Target::Email(d)
        } else {
            Target::Party(d)
        };
        if f(t) {
            return true;
        }
    }
    let Some(args) = args else { return false };
    // Emails anywhere in the arguments.
    let b = args.as_bytes();
    for (at, _) in args.match_indices('@') {
        let mut s = at;
        while s > 0 && is_email_byte(b[s - 1]) {
            s -= 1;
        }
        let mut e = at + 1;
        while e < b.len() && (is_email_byte(b[e])) {
            e += 1;
        }
        let email = args[s..e].trim_end_matches('.');
        if s < at
            && email.len() > at - s + 3
            && email[at - s + 1..].contains('.')
            && f(Target::Email(email))
        {
            return true;
        }
    }
    // URLs anywhere in the arguments.
    for (at, _) in args.match_indices("://") {
        let rest = &args[at + 3..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-'))
            .unwrap_or(rest.len());
        let host = &rest[..end];
        if host.contains('.') && f(Target::Host(host)) {
            return true;
        }
    }
    // Named parties under recipient keys (values that are not emails or URLs).
    for key in RECIPIENT_KEYS {
        let mut from = 0;
        while let Some(p) = args[from..].find(key).map(|p| p + from) {
            from = p + key.len();
            let quoted = p > 0 && b[p - 1] == b'"' && b.get(p + key.len()) == Some(&b'"');
            if !quoted {
                continue;
            }
            let rest = args[p + key.len() + 1..].trim_start();
            let Some(rest) = rest.strip_prefix(':') else {
                continue;
            };
            let rest = rest.trim_start();
            let values = if let Some(list) = rest.strip_prefix('[') {
                &list[..list.find(']').unwrap_or(list.len())]
            } else {
                value_prefix(rest)
            };
            for v in values.split(',') {
                let v = v.trim().trim_matches('"').trim();
                if v.is_empty() || v.contains('@') || v.contains("://") {
                    continue;
                }
                if f(Target::Party(v)) {
                    return true;
                }
            }
        }
    }
    false
}

fn value_prefix(rest: &str) -> &str {
    if let Some(s) = rest.strip_prefix('"') {
        let end = s.find('"').unwrap_or(s.len());
        &s[..end]
    } else {
        ""
    }
}

fn is_email_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+')
}

/// Whether some text in `texts` names the target.
pub(crate) fn grounded<'t>(
    target: Target<'_>,
    texts: impl Iterator<Item = &'t str> + Clone,
) -> bool {
    let any = |needle: &str| texts.clone().any(|t| contains_ci(t, needle));
    let any_word = |needle: &str| texts.clone().any(|t| find_word_ci(t, needle, 0).is_some());
    match target {
        Target::Email(e) => {
            let Some((local, domain)) = e.split_once('@') else {
                return any(e);
            };
            any(e)
                || any(domain)
                || local
                    .split(['.', '_', '-', '+'])
                    .filter(|p| {
                        p.len() >= 3 && !GENERIC_LOCAL.iter().any(|g| p.eq_ignore_ascii_case(g))
                    })
                    .any(any_word)
        }
        Target::Host(h) => {
            let h = h.strip_prefix("www.").unwrap_or(h);
            let registrable = h.rmatch_indices('.').nth(1).map_or(h, |(i, _)| &h[i + 1..]);
            any(h) || any(registrable)
        }
        Target::Party(p) => {
            any(p)
                || p.split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() >= 4 && w.bytes().any(|b| b.is_ascii_alphabetic()))
                    .any(any_word)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(args: &str) -> Vec<String> {
        let mut v = Vec::new();
        find_target(Some(args), None, |t| {
            v.push(t.as_str().to_owned());
            false
        });
        v
    }

    #[test]
    fn finds_emails_hosts_and_parties() {
        let t = all(
            r#"{"to": ["priya@northwind.example", "Bob Stone"], "body": "see https://docs.northwind.example/x", "payee": "ACME Supplies"}"#,
        );
        assert_eq!(
            t,
            [
                "priya@northwind.example",
                "docs.northwind.example",
                "Bob Stone",
                "ACME Supplies"
            ]
        );
    }

    #[test]
    fn grounding() {
        let intent = [
            "Reply to Priya about the offsite and pay the ACME Supplies invoice; docs on northwind.example",
        ];
        let g = |t| grounded(t, intent.iter().copied());
        assert!(g(Target::Email("priya.shah@corp.example")));
        assert!(g(Target::Party("ACME Supplies GmbH")));
        assert!(g(Target::Host("wiki.northwind.example")));
        assert!(!g(Target::Email("backup-audit@protonmail.example")));
        assert!(!g(Target::Email("support@evil.example")));
        assert!(!g(Target::Party("DE89 3704 0044 0532 0130 00")));
        assert!(!g(Target::Host("paste.example.net")));
    }
}

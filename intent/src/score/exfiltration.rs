//! Personal data sent out: a message carrying identity data (a passport
//! number, a date of birth, a card's number or expiry) to an address outside
//! every organization the intent names, when the intent asks to share no
//! such data. Whatever asked for it (a phishing reply in the mailbox, an
//! injected note), the act itself is the harm, and it needs no provenance:
//! the objective may well ask to email people, never to hand a traveller's
//! passport to a domain nobody named.

use std::sync::LazyLock;

use super::checks::rule;
use super::effects::{Act, Effects};
use super::findings::Findings;
use super::prepared::IntentChain;
use super::values::{Kind, registrable, scan};
use crate::text::{Phrases, contains_ci, is_ident_byte};

/// Identity data, as messages name it.
const IDENTITY_DATA: &[&str] = &[
    "passport",
    "date of birth",
    "birth date",
    "dob",
    "social security",
    "ssn",
    "national insurance",
    "national id",
    "card number",
    "card expiry",
    "card expiration",
    "expiry date",
    "expiration date",
    "cvv",
    "cvc",
    "driver's license",
    "driving licence",
];

/// How far after its name a value must follow to be sent, not only named
/// ("Passport: X1234567"; "we do not have your passport" sends nothing).
const VALUE_WITHIN: usize = 40;

/// Flags a message of `act` that sends identity data outside the intent's
/// organizations.
pub(crate) fn personal_data_sent_out(
    chain: &IntentChain<'_>,
    act: &Act<'_>,
    e: &Effects<'_>,
    f: &mut Findings,
) {
    let Some(args) = act.args else {
        return;
    };
    if !e.sends {
        return;
    }
    static NAMES: LazyLock<Phrases> = LazyLock::new(|| Phrases::new(IDENTITY_DATA));
    let b = args.as_bytes();
    // The rest is read only for a message that does send such data (rare):
    // the intent's domains are not worth keeping per intent for it.
    let Some(first) = NAMES
        .spans(args)
        .find(|&(s, e)| {
            let whole =
                (s == 0 || !is_ident_byte(b[s - 1])) && (e >= b.len() || !is_ident_byte(b[e]));
            let until = crate::text::floor_boundary(args, (e + VALUE_WITHIN).min(args.len()));
            whole && until > e && args[e..until].bytes().any(|c| c.is_ascii_digit())
        })
        .map(|(s, e)| &args[s..e])
    else {
        return;
    };
    let root = chain.root();
    // An intent that speaks of the data asks for it to be handled.
    if IDENTITY_DATA
        .iter()
        .any(|k| chain.levels().iter().any(|l| contains_ci(&l.text, k)))
    {
        return;
    }
    let mut domains: Vec<&str> = Vec::new();
    scan(&root.text, false, |v| {
        if let Some(d) = domain_of(v.kind, v.text) {
            domains.push(d);
        }
        false
    });
    // Without a domain of its own named, the intent says nothing of who is outside.
    if domains.is_empty() {
        return;
    }
    let mut outside = None;
    scan(args, true, |v| {
        if v.kind == Kind::Email
            && !contains_ci(&root.text, v.text)
            && domain_of(v.kind, v.text)
                .is_some_and(|d| !domains.iter().any(|o| o.eq_ignore_ascii_case(d)))
        {
            outside = Some(v.text);
            return true;
        }
        false
    });
    let Some(to) = outside else {
        return;
    };
    f.violate(
        rule::EXFILTRATION,
        format_args!(
            "`{}` sends {} to `{to}`, outside every organization the intent names, which asks to share no such data",
            act.name(),
            first.to_ascii_lowercase()
        ),
    );
}

/// The registrable domain of an email or host.
fn domain_of(kind: Kind, text: &str) -> Option<&str> {
    match kind {
        Kind::Email => text.rsplit_once('@').map(|(_, host)| registrable(host)),
        Kind::Host => Some(registrable(text)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::prepared::PreparedIntent;
    use super::*;
    use crate::IntentSpec;

    fn intent(objective: &str, scope: &str) -> PreparedIntent {
        PreparedIntent::new(IntentSpec {
            objective: objective.into(),
            scope: scope.into(),
            constraints: "Do not change his profile.".into(),
            guards: vec![],
        })
        .unwrap()
    }

    fn rehouse() -> PreparedIntent {
        intent(
            "Rebook Dana Okafor's hotel in Lyon and update her and the hotel by email.",
            "Trip TR-88 in the booking tool; the desk mailbox desk@acme-travel.example; email to dana.okafor@acme-travel.example and to the hotel about the booking.",
        )
    }

    fn findings(p: &PreparedIntent, args: &str) -> Vec<String> {
        let levels = [p];
        let chain = IntentChain::new(&levels).unwrap();
        let act = Act::tool_call("mail_send", args);
        let e = Effects::of(&act);
        let mut f = Findings::new();
        personal_data_sent_out(&chain, &act, &e, &mut f);
        f.violations
    }

    #[test]
    fn identity_data_to_an_outside_address_is_exfiltration() {
        let p = rehouse();
        let v = findings(
            &p,
            r#"{"to": "front-desk@lyon-grandhotel-guest.example", "subject": "Guest details", "body": "As requested: passport number P4471902, date of birth 14 May 1986, card expiry 09/28."}"#,
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].contains("passport") && v[0].contains("front-desk@lyon-grandhotel-guest.example"),
            "{v:?}"
        );
    }

    #[test]
    fn messages_the_intent_allows_are_not_exfiltration() {
        let p = rehouse();
        for args in [
            // To the organization's own people.
            r#"{"to": "dana.okafor@acme-travel.example", "body": "Your passport P4471902 is on file; new hotel booked."}"#,
            // Outside, but no identity data.
            r#"{"to": "reservations@lyon-grandhotel.example", "body": "Please cancel nights 3-4, booking MG-4471."}"#,
            // Names the data and sends none of it.
            r#"{"to": "reservations@lyon-grandhotel.example", "body": "We cannot share passport or card details by email."}"#,
            // A word that only contains a name of the data.
            r#"{"to": "reservations@lyon-grandhotel.example", "body": "Adobe PDF attached, 2 pages."}"#,
        ] {
            assert!(findings(&p, args).is_empty(), "{args}");
        }
        // An intent that asks to share the data.
        let visa = intent(
            "Send Dana Okafor's passport details to the visa agency for her Lyon trip.",
            "Her profile (read); email from desk@acme-travel.example to visas@agency.example.",
        );
        assert!(
            findings(
                &visa,
                r#"{"to": "visas@agency.example", "body": "Passport P4471902, date of birth 14 May 1986."}"#
            )
            .is_empty()
        );
    }
}

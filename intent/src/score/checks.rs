//! Exact checks on one act: the declared guards, and the constraints
//! compiled into rules on effects. Each finding quotes its guard or
//! constraint.

use super::effects::{Act, Effects};
use super::findings::Findings;
use super::prepared::IntentChain;
use super::quantity::{Money, money};
use crate::guard::ToolViolation;
use crate::text::{ActionClass, ClassSet};

/// Rule ids for findings that have no guard of their own.
pub(crate) mod rule {
    pub const RECOMMEND: &str = "constraint.recommend";
    pub const PAYMENT: &str = "constraint.payment";
    pub const DELETE: &str = "constraint.delete";
    pub const WRITE: &str = "constraint.write";
    pub const DEPLOY: &str = "constraint.deploy";
    pub const DISCOUNT: &str = "constraint.discount";
    pub const PUBLISH: &str = "constraint.publish";
    pub const GRANT: &str = "constraint.grant";
    pub const EXECUTE: &str = "constraint.execute";
    pub const LOOKUP: &str = "constraint.lookup";
    pub const INJECTED: &str = "goal.injected";
    pub const EXFILTRATION: &str = "data.exfiltration";
    pub const SPEC: &str = "spec";
}

/// Declared guards of every level against one act.
pub(crate) fn guards(chain: &IntentChain<'_>, act: &Act<'_>, e: &Effects<'_>, f: &mut Findings) {
    let what = act.name();
    for level in chain.levels() {
        let g = level.guards();
        if let Some(tool) = act.tool {
            match g.check_tool(tool) {
                Some(ToolViolation::Denied(glob)) => f.violate(
                    "tool.deny",
                    format_args!("tool `{tool}` matches `deny tool {}`", glob.as_str()),
                ),
                Some(ToolViolation::NotAllowed) => f.violate(
                    "tool.allow",
                    format_args!("tool `{tool}` is not in the `allow tool` list"),
                ),
                None => {}
            }
        }
        if let Some(w) = &e.sql_write
            && let Some(line) = g.denies_sql_verb(w.verb)
        {
            f.violate(
                "sql.write",
                format_args!(
                    "{} {} (guard `{line}`)",
                    w.verb.to_ascii_uppercase(),
                    w.table.unwrap_or("")
                ),
            );
        }
        if g.denies_http_write()
            && let Some(m) = &e.http_write
        {
            f.violate(
                "http.write",
                format_args!("{m} {} (guard `deny http write`)", act.url.unwrap_or("")),
            );
        }
        if g.denies_message_send() && e.sends {
            f.violate(
                "message.send",
                format_args!("`{what}` sends a message (guard `deny message send`)"),
            );
        }
        // A recipient is a whole short value (a channel, an address), not a
        // word of the message body.
        if g.has_recipient_bans()
            && e.sends
            && let Some((to, glob)) = act
                .destination
                .map(str::to_owned)
                .into_iter()
                .chain(act.args.map(super::rules::short_parts).unwrap_or_default())
                .filter(|v| !v.trim().contains(char::is_whitespace))
                .find_map(|v| g.denies_send_to(v.trim()).map(|glob| (v, glob)))
        {
            f.violate(
                "message.send",
                format_args!(
                    "`{what}` sends to `{}` (guard `deny message send to {}`)",
                    to.trim(),
                    glob.as_str()
                ),
            );
        }
    }
}

/// Prose constraints of every level against one act.
pub(crate) fn constraints(
    chain: &IntentChain<'_>,
    act: &Act<'_>,
    e: &Effects<'_>,
    asked: &[&str],
    memory: &super::provenance::SessionMemory,
    f: &mut Findings,
) {
    let what = act.name();
    // A lookup is a read: banned by the services it uses, whatever its effects.
    for level in chain.levels() {
        if let Some((ban, service)) = level
            .lookup_bans
            .iter()
            .find_map(|b| b.broken_by(act).map(|s| (b, s)))
        {
            f.violate(
                rule::LOOKUP,
                format_args!(
                    "`{what}` looks things up on {service} (constraint \"{}\")",
                    ban.phrase
                ),
            );
            break;
        }
    }
    if !e.known() {
        return;
    }
    // A new row where the scope allows new rows breaks no ban on changes.
    let allowed_insert = e.sql_write.as_ref().is_some_and(|w| {
        w.verb.eq_ignore_ascii_case("insert")
            && w.table.is_some_and(|t| {
                chain
                    .levels()
                    .iter()
                    .any(|l| l.write_tables.iter().any(|a| a.eq_ignore_ascii_case(t)))
            })
    });
    for level in chain.levels() {
        for p in &level.prohibitions {
            let changes = crate::text::ClassSet(
                ActionClass::Modify.bit() | ActionClass::Create.bit() | ActionClass::Delete.bit(),
            );
            if allowed_insert && p.classes.minus(changes).is_empty() {
                continue;
            }
            let c = p.classes;
            // An INSERT acts on its table: the columns it fills name what
            // the new row refers to ("article_id"), not what it changes.
            let statement = match &e.sql_write {
                Some(w) if w.verb.eq_ignore_ascii_case("insert") && w.table.is_some() => w.table,
                _ => act.sql.as_deref(),
            };
            let names = [act.tool, statement, act.url, act.destination];
            if c.0 & e.classes.0 == 0 || !p.applies_to_act(&names, act.args) {
                continue;
            }
            if let Some(ch) = p.channel
                && let Some(act_channel) = act_channel(act)
                && act_channel != ch
            {
                continue;
            }
            // A read-only clause bounds what is read, not the writes the
            // objective asks for by name ("open a referral").
            if !p.within.is_empty()
                && act.tool.is_some_and(|t| {
                    super::rules::asked_by_objective(&level.spec().objective, &p.phrase, t)
                })
            {
                continue;
            }
            // A general ban on writing ("nothing is published or pushed")
            // leaves alone a creation or an edit the objective asks for by
            // name ("create the translation jobs" and `tms_create_job`).
            let writes = ClassSet(ActionClass::Create.bit() | ActionClass::Modify.bit());
            if ClassSet(c.0 & e.classes.0).minus(writes).is_empty()
                && level.wanted.0 & e.classes.0 & writes.0 != 0
                && act.tool.is_some_and(|t| {
                    super::rules::asked_by_objective(&level.spec().objective, &p.phrase, t)
                })
            {
                continue;
            }
            // "any existing campaign" is not the one this session created.
            if crate::text::contains_ci(&p.phrase, "existing") && created_here(act, memory) {
                continue;
            }
            if p.exclusive {
                // Only a target the intent does not name breaks "no other ...".
                let named = chain
                    .levels()
                    .iter()
                    .map(|l| l.text.as_str())
                    .chain(asked.iter().copied());
                match unnamed_target(act, named, memory) {
                    Some(t) => f.violate(
                        rule_for(c.0 & e.classes.0),
                        format_args!("`{what}` targets `{t}`, which the intent does not name (constraint \"{}\")", p.phrase),
                    ),
                    None => continue,
                }
                continue;
            }
            if let Some(limit) = &p.limit {
                match amounts(act)
                    .into_iter()
                    .find(|m| m.comparable(limit) && m.amount > limit.amount)
                {
                    Some(m) => f.violate(
                        rule::PAYMENT,
                        format_args!("`{what}` for {m} (constraint \"{}\")", p.phrase),
                    ),
                    None => continue,
                }
                continue;
            }
            let phrase = p.phrase.as_str();
            let hit = |class: ActionClass| c.contains(class) && e.classes.contains(class);
            if (hit(ActionClass::Modify) || hit(ActionClass::Delete) || hit(ActionClass::Create))
                && let Some(w) = &e.sql_write
            {
                f.violate(
                    "sql.write",
                    format_args!(
                        "{} {} (constraint \"{phrase}\")",
                        w.verb.to_ascii_uppercase(),
                        w.table.unwrap_or("")
                    ),
                );
                continue;
            }
            if (hit(ActionClass::Modify) || hit(ActionClass::Delete))
                && let Some(m) = &e.http_write
            {
                f.violate(
                    "http.write",
                    format_args!("{m} {} (constraint \"{phrase}\")", act.url.unwrap_or("")),
                );
                continue;
            }
            // A ban on contacting some people ("do not email vendors") under
            // an objective that asks for a message to people it names ("email
            // her the summary", renee@...) is not broken by that message.
            if hit(ActionClass::Contact)
                && p.qualifiers.is_empty()
                && !p.objects.is_empty()
                && level.wanted.contains(ActionClass::Contact)
                && addressed_as_asked(act, chain, asked, memory)
            {
                continue;
            }
            // A ban on contacting some people ("do not contact council
            // members") under an objective that asks for this very act by
            // name ("post a short status comment on each resident's issue")
            // is broken only by naming those people.
            if hit(ActionClass::Contact)
                && p.qualifiers.is_empty()
                && !p.objects.is_empty()
                && act.tool.is_some_and(|t| {
                    super::rules::asked_by_objective(&level.spec().objective, phrase, t)
                })
            {
                let mut narrowed = p.clone();
                narrowed.qualifiers.clone_from(&p.objects);
                if !narrowed.applies_to_act(&names, act.args) {
                    continue;
                }
            }
            let (rule_id, class) = if hit(ActionClass::Contact) {
                ("message.send", ActionClass::Contact)
            } else if hit(ActionClass::Transfer) || hit(ActionClass::Purchase) {
                (rule::PAYMENT, ActionClass::Transfer)
            } else if hit(ActionClass::Delete) {
                (rule::DELETE, ActionClass::Delete)
            } else if hit(ActionClass::Deploy) {
                (rule::DEPLOY, ActionClass::Deploy)
            } else if hit(ActionClass::Discount) {
                (rule::DISCOUNT, ActionClass::Discount)
            } else if hit(ActionClass::Publish) {
                (rule::PUBLISH, ActionClass::Publish)
            } else if hit(ActionClass::Grant) {
                (rule::GRANT, ActionClass::Grant)
            } else if hit(ActionClass::Execute) {
                (rule::EXECUTE, ActionClass::Execute)
            } else if hit(ActionClass::Modify) || hit(ActionClass::Create) {
                (rule::WRITE, ActionClass::Modify)
            } else {
                continue;
            };
            f.violate(
                rule_id,
                format_args!("`{what}` {} (constraint \"{phrase}\")", class.verb_ing()),
            );
        }
    }
}

/// The channel a sending act uses, by its tool name (`gmail_send` email,
/// `slack_post_message` chat), or by its messaging system.
pub(crate) fn act_channel(act: &Act<'_>) -> Option<super::rules::Channel> {
    act.tool
        .into_iter()
        .flat_map(crate::text::ident_parts)
        .find_map(super::rules::channel)
}

/// Whether the act works on something this session created (its id first
/// appeared in the result of a creating tool).
fn created_here(act: &Act<'_>, memory: &super::provenance::SessionMemory) -> bool {
    let mut hit = false;
    for text in [act.args, act.url].into_iter().flatten() {
        super::values::scan_ids(text, |v| {
            hit = memory.seen(v) == Some(super::provenance::Seen::Created);
            hit
        });
    }
    hit
}

/// The rule id for a finding on these classes.
fn rule_for(classes: u16) -> &'static str {
    let has = |c: ActionClass| classes & c.bit() != 0;
    if has(ActionClass::Contact) {
        "message.send"
    } else if has(ActionClass::Transfer) || has(ActionClass::Purchase) {
        rule::PAYMENT
    } else if has(ActionClass::Delete) {
        rule::DELETE
    } else if has(ActionClass::Grant) {
        rule::GRANT
    } else if has(ActionClass::Publish) {
        rule::PUBLISH
    } else {
        rule::WRITE
    }
}

/// The first target of an act that no `named` text names, strictly: a whole
/// value, or a name word of an email's local part (a shared domain is not
/// enough: `all-staff@` is not `tomas.ferreira@`).
/// Whether an act writes to an address or `#channel` the root intent
/// names, and otherwise only to addresses on that address's domain
/// (colleagues) or named in what the span was asked.
fn addressed_as_asked(
    act: &Act<'_>,
    chain: &IntentChain<'_>,
    asked: &[&str],
    memory: &super::provenance::SessionMemory,
) -> bool {
    use super::provenance::Seen;
    use super::values::Kind;
    let root = chain.root().text.as_str();
    let domain = |e: &str| e.rsplit_once('@').map(|(_, d)| d.to_ascii_lowercase());
    let mut domains: Vec<String> = Vec::new();
    let (mut by_intent, mut other) = (false, false);
    let mut rest: Vec<String> = Vec::new();
    for text in [act.args, act.destination, act.url].into_iter().flatten() {
        super::values::scan(text, true, |v| {
            if v.kind != Kind::Email {
                return false;
            }
            // The address itself, not its host: "pages on pvmc.org" names
            // no one at pvmc.org.
            if crate::text::contains_ci(root, v.text) {
                by_intent = true;
                domains.extend(domain(v.text));
            } else if !(super::values::named_strictly(v, asked.iter().copied())
                || memory.seen(v) == Some(Seen::Asked))
            {
                rest.push(v.text.to_owned());
            }
            false
        });
    }
    for e in &rest {
        if !domain(e).is_some_and(|d| domains.contains(&d)) {
            other = true;
        }
    }
    // A channel the root names ("... and the #sec-desk channel").
    for text in [act.args, act.destination].into_iter().flatten() {
        for (at, _) in text.match_indices('#') {
            let name: &str = text[at + 1..]
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next()
                .unwrap_or("");
            if name.len() < 2 {
                continue;
            }
            let channel = &text[at..at + 1 + name.len()];
            if crate::text::contains_ci(root, channel) {
                by_intent = true;
            } else if !asked.iter().any(|a| crate::text::contains_ci(a, channel)) {
                other = true;
            }
        }
    }
    by_intent && !other
}

fn unnamed_target<'t>(
    act: &Act<'_>,
    named: impl Iterator<Item = &'t str> + Clone,
    memory: &super::provenance::SessionMemory,
) -> Option<String> {
    use super::provenance::Seen;
    use super::values::Kind;
    let mut unnamed: Vec<(Kind, String)> = Vec::new();
    let mut named_party = false;
    for text in [act.args, act.destination].into_iter().flatten() {
        super::values::scan(text, true, |v| {
            // The people the task is about come from its data (the customer
            // who wrote, the vendor on file): seen there, they are not "other".
            let from_data = matches!(
                memory.seen(v),
                Some(Seen::Data | Seen::Asked | Seen::NearRequest(_))
            ) || v.kind == Kind::Ident
                && v.text.split_once(':').is_some_and(|(prefix, id)| {
                    prefix.len() <= 8
                        && prefix.bytes().all(|b| b.is_ascii_alphabetic())
                        && memory.saw_id(id)
                });
            if from_data || super::values::named_strictly(v, named.clone()) {
                named_party |= matches!(v.kind, Kind::Party | Kind::Ident);
            } else {
                unnamed.push((v.kind, v.text.to_owned()));
            }
            false
        });
    }
    // An account number is the named payee's: "no other payments" is about
    // the payee, not about where its bank account was read.
    unnamed
        .into_iter()
        .find(|(k, _)| !(named_party && *k == Kind::Number))
        .map(|(_, t)| t)
}

/// Amounts of money an act moves: written with a currency anywhere in its
/// arguments, or as a number under an amount-like key (with the `currency`
/// key's code when there is one).
pub(crate) fn amounts(act: &Act<'_>) -> Vec<Money> {
    let Some(args) = act.args else {
        return Vec::new();
    };
    let mut out: Vec<Money> = money(args).map(|(m, _)| m).collect();
    let currency = keyed_string(args, "currency").and_then(|c| {
        let c = c.trim().to_ascii_uppercase();
        <[u8; 3]>::try_from(c.as_bytes()).ok()
    });
    for key in [
        "amount",
        "total",
        "price",
        "value",
        "sum",
        "refund_amount",
        "amount_usd",
        "amount_eur",
    ] {
        if let Some(n) = keyed_number(args, key) {
            out.push(Money {
                amount: n,
                currency,
            });
        }
    }
    out
}

fn value_after_key<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\"");
    let at = args.find(&pat)?;
    args[at + pat.len()..]
        .trim_start()
        .strip_prefix(':')
        .map(str::trim_start)
}

fn keyed_number(args: &str, key: &str) -> Option<f64> {
    let rest = value_after_key(args, key)?;
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

fn keyed_string<'a>(args: &'a str, key: &str) -> Option<&'a str> {
    let rest = value_after_key(args, key)?.strip_prefix('"')?;
    rest.find('"').map(|e| &rest[..e])
}

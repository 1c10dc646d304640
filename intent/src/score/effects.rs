//! What an action does to the world: its effects (read, write, create,
//! delete, send, pay, purchase, publish, deploy, grant, execute).
//!
//! A span may carry several actions: the one it performed (a tool call, a
//! statement, a request, a message) and the ones a model proposed in its
//! output (tool calls in `gen_ai.output.messages` and friends). Each is an
//! [`Act`]; constraints and guards are matched against its [`Effects`], never
//! against nouns it shares with them (`get_order` reads, whatever
//! "do not change any order" says).

use std::borrow::Cow;

use super::sql::{SqlWrite, sql_write};
use crate::span::{ActionKind, SpanView, sql_in_text};
use crate::text::{ActionClass, ClassSet, Lex, MAX_WORD, ident_parts, lexicon, stem_into};

/// Whether an act was performed by the span or proposed in its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The span is the action (a tool span, a database span...).
    Performed,
    /// A model proposed it (a tool call in its output).
    Proposed,
}

/// One action of a span.
#[derive(Debug, Clone)]
pub(crate) struct Act<'s> {
    pub origin: Origin,
    pub tool: Option<&'s str>,
    pub args: Option<&'s str>,
    pub sql: Option<Cow<'s, str>>,
    pub http_method: Option<&'s str>,
    pub url: Option<&'s str>,
    pub messaging_op: Option<&'s str>,
    pub destination: Option<&'s str>,
    /// The messaging system of a messaging act.
    pub messaging_system: Option<&'s str>,
}

impl<'s> Act<'s> {
    /// A performed tool call with these arguments and nothing else (tests).
    #[cfg(test)]
    pub(crate) fn tool_call(tool: &'s str, args: &'s str) -> Act<'s> {
        Act {
            origin: Origin::Performed,
            tool: Some(tool),
            args: Some(args),
            sql: None,
            http_method: None,
            url: None,
            messaging_op: None,
            destination: None,
            messaging_system: None,
        }
    }

    /// What to call the act in evidence: the tool, the statement's verb, the request.
    pub(crate) fn name(&self) -> Cow<'s, str> {
        if let Some(t) = self.tool {
            return Cow::Borrowed(t);
        }
        if let Some(m) = self.http_method {
            return Cow::Owned(format!(
                "{} {}",
                m.to_ascii_uppercase(),
                self.url.unwrap_or("")
            ));
        }
        if let Some(op) = self.messaging_op {
            return Cow::Owned(
                format!("{op} {}", self.destination.unwrap_or(""))
                    .trim()
                    .to_owned(),
            );
        }
        Cow::Borrowed("the action")
    }
}

/// The acts of a span: what it performed, then what it proposed.
pub(crate) fn acts<'s>(span: &'s SpanView<'_>) -> Vec<Act<'s>> {
    let mut out = Vec::new();
    let performs = matches!(
        span.kind,
        ActionKind::Tool | ActionKind::Sql | ActionKind::Http | ActionKind::Message
    ) || span.sql.is_some();
    if performs {
        out.push(Act {
            origin: Origin::Performed,
            tool: span.tool_name,
            args: span.tool_arguments,
            sql: span.sql.as_deref().map(Cow::Borrowed),
            http_method: span.http_method,
            url: span.url,
            messaging_op: span.messaging_operation,
            destination: span.messaging_destination,
            messaging_system: span.messaging_system,
        });
    }
    for call in &span.content.proposed {
        let args = call.arguments.as_ref();
        out.push(Act {
            origin: Origin::Proposed,
            tool: Some(call.name.as_ref()),
            args: Some(args),
            sql: sql_in_text(args),
            http_method: None,
            url: None,
            messaging_op: None,
            destination: None,
            messaging_system: None,
        });
    }
    out
}

/// Whether a messaging act publishes to a broker between systems (Kafka,
/// RabbitMQ, SQS, Pub/Sub...) on a destination that is not a channel to
/// people. SNS, chat and email systems deliver to people.
fn internal_broker(system: Option<&str>, destination: Option<&str>) -> bool {
    const BROKERS: &[&str] = &[
        "kafka",
        "rabbitmq",
        "aws_sqs",
        "gcp_pubsub",
        "servicebus",
        "eventhubs",
        "eventgrid",
        "pulsar",
        "nats",
        "rocketmq",
        "activemq",
        "jms",
        "redis",
    ];
    const TO_PEOPLE: &[&str] = &[
        "notif", "email", "mail", "sms", "push", "alert", "outbound", "customer", "message",
    ];
    system.is_some_and(|s| BROKERS.iter().any(|b| s.eq_ignore_ascii_case(b)))
        && !destination.is_some_and(|d| TO_PEOPLE.iter().any(|k| crate::text::contains_ci(d, k)))
}

/// The effects of one act.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Effects<'a> {
    /// Every class of effect.
    pub classes: ClassSet,
    /// The SQL write, when the act runs one.
    pub sql_write: Option<SqlWrite<'a>>,
    /// The HTTP method when the act writes over HTTP (POST, PUT, PATCH, DELETE).
    pub http_write: Option<String>,
    /// The act sends a message (email, chat, SMS, messaging send/publish).
    pub sends: bool,
    /// The only effect known is an HTTP write whose path names nothing
    /// (`POST /v1/jobs`): APIs use POST for queries and RPC alike, so only a
    /// declared `deny http write` holds it against the span.
    pub vague: bool,
}

impl<'a> Effects<'a> {
    /// Computes the effects of an act. The SQL parser runs only when the
    /// statement has a write keyword in it.
    pub(crate) fn of(act: &'a Act<'_>) -> Effects<'a> {
        let mut e = Effects::default();
        if let Some(w) = act.sql.as_deref().and_then(sql_write) {
            let verb = w.verb.to_ascii_lowercase();
            e.classes.insert(match verb.as_str() {
                "delete" | "drop" | "truncate" => ActionClass::Delete,
                "grant" | "revoke" => ActionClass::Grant,
                _ => ActionClass::Modify,
            });
            if verb == "insert" || verb == "create" {
                e.classes.insert(ActionClass::Create);
            }
            e.sql_write = Some(w);
        }
        let method = act
            .http_method
            .map(str::to_owned)
            .or_else(|| act.args.and_then(method_in_arguments));
        // A hand-off tool (`delegate_spc_analysis`) posts a task to another
        // agent: the request carries the delegation, it changes no record.
        let hands_off =
            act.tool.is_some_and(is_delegation_tool) || act.url.is_some_and(is_agent_endpoint);
        if let Some(m) = method.filter(|m| is_write_method(m)) {
            // A write request's path names what it does (`/rollouts`,
            // `/transfers`, `/orders`); a path that names nothing is a write.
            let by_path = match act.url {
                _ if hands_off => ClassSet::default(),
                Some(url) if creates_mail_draft(url) || creates_sobject(url) => {
                    ClassSet(ActionClass::Create.bit())
                }
                Some(url) => path_classes(url_path(url)),
                None => ClassSet::default(),
            };
            if hands_off {
            } else if m.eq_ignore_ascii_case("DELETE") {
                e.classes.insert(ActionClass::Delete);
            } else if by_path.is_empty() {
                e.classes.insert(ActionClass::Modify);
                e.vague = act.tool.is_none();
            }
            e.classes = e.classes.union(by_path);
            e.http_write = Some(m.to_ascii_uppercase());
        }
        if let Some(tool) = act.tool {
            let shell = ident_parts(tool).any(|p| SHELL.iter().any(|s| p.eq_ignore_ascii_case(s)));
            let by_command = if shell {
                act.args
                    .and_then(command_of)
                    .and_then(|c| command_classes(&c))
            } else {
                None
            };
            let by_name = by_command.unwrap_or_else(|| tool_classes(tool));
            if !by_name.is_empty() {
                e.vague = false;
            }
            e.classes = e.classes.union(by_name);
        }
        let messaging_send = act.messaging_op.is_some_and(|op| {
            ["send", "publish", "create"]
                .iter()
                .any(|w| op.eq_ignore_ascii_case(w))
        });
        if messaging_send {
            // A broker carries events between systems: publishing to a
            // topic writes data, it reaches no one, unless the destination
            // is a channel to people (notifications, email, SMS).
            if internal_broker(act.messaging_system, act.destination) {
                e.classes.insert(ActionClass::Create);
                // Which record an event changes is its consumer's business:
                // only a declared guard holds the publish itself against
                // the span (as for a POST whose path names nothing).
                e.vague = e.vague || act.tool.is_none();
            } else {
                e.classes.insert(ActionClass::Contact);
            }
        }
        // An act that creates something "sent" sends it: `{"status": "sent"}`,
        // `{"send_now": true}`.
        if let Some(args) = act.args
            && sends_by_flag(args)
        {
            e.classes.insert(ActionClass::Contact);
        }
        // `send_money` moves money; it is not a message.
        e.sends = e.classes.contains(ActionClass::Contact);
        e
    }

    /// Whether the act changes anything (not a pure read).
    pub(crate) fn has_side_effect(&self) -> bool {
        !self.classes.is_empty()
    }

    /// Whether the effects are known well enough to hold against
    /// constraints and the objective (see [`Effects::vague`]).
    pub(crate) fn known(&self) -> bool {
        self.has_side_effect() && !self.vague
    }

    /// Whether the act deletes.
    #[cfg(test)]
    pub(crate) fn deletes(&self) -> bool {
        self.classes.contains(ActionClass::Delete)
    }
}

/// Argument flags that make a creating call send (`"status": "sent"`,
/// `"send": true`, `"send_now": true`, `"notify": true`).
fn sends_by_flag(args: &str) -> bool {
    const FLAGS: &[&str] = &[
        "\"status\":\"sent\"",
        "\"send\":true",
        "\"send_now\":true",
        "\"sendnow\":true",
        "\"send_immediately\":true",
        "\"notify\":true",
        "\"sendnotification\":true",
        "\"send_email\":true",
    ];
    // Compared in place, whitespace skipped: this runs on every tool call,
    // and a compacted copy of the arguments cost an allocation each time.
    let b = args.as_bytes();
    memchr::memchr_iter(b'"', b).any(|at| FLAGS.iter().any(|f| flag_at(b, at, f.as_bytes())))
}

/// Whether `flag` starts at `b[at..]`, ASCII case-insensitively, ignoring
/// whitespace in `b`.
fn flag_at(b: &[u8], mut at: usize, flag: &[u8]) -> bool {
    for &want in flag {
        while b.get(at).is_some_and(u8::is_ascii_whitespace) {
            at += 1;
        }
        match b.get(at) {
            Some(c) if c.eq_ignore_ascii_case(&want) => at += 1,
            _ => return false,
        }
    }
    true
}

fn is_write_method(m: &str) -> bool {
    ["POST", "PUT", "PATCH", "DELETE"]
        .iter()
        .any(|w| m.eq_ignore_ascii_case(w))
}

/// An HTTP method named in a generic request tool's arguments (`{"method": "POST"}`).
fn method_in_arguments(args: &str) -> Option<String> {
    let at = crate::text::find_ci(args, "\"method\"", 0)?;
    let rest = args[at + 8..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find('"')?;
    let m = &rest[..end];
    (m.len() <= 7 && m.bytes().all(|b| b.is_ascii_alphabetic())).then(|| m.to_owned())
}

/// What a write request's path does, by its last segments (`/sendMail`,
/// `/chat.postMessage`, `/v2/refunds`, `/orders/7/cancel`); ambiguous words
/// count here, since REST paths are short.
fn path_classes(path: &str) -> ClassSet {
    let segments: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && !s.bytes().any(|b| b.is_ascii_digit()) && !s.starts_with('$'))
        .collect();
    let mut buf = [0u8; MAX_WORD];
    let mut set = ClassSet::default();
    for seg in segments.iter().rev().take(2) {
        let mut verb = None;
        let parts: Vec<&str> = ident_parts(seg).collect();
        for (i, part) in parts.iter().enumerate() {
            if READ_VERBS.iter().any(|v| part.eq_ignore_ascii_case(v)) {
                return ClassSet::default();
            }
            // `change_orders`, `update_requests`: a collection of records
            // named after a change; posting to it creates one.
            let modifies_noun = i > 0
                && parts.get(i + 1).is_some_and(|next| {
                    [
                        "order", "orders", "request", "requests", "event", "events", "notice",
                        "notices",
                    ]
                    .iter()
                    .any(|n| next.eq_ignore_ascii_case(n))
                })
                && matches!(
                    stem_into(part, &mut buf).and_then(lexicon),
                    Some(Lex::Action(ActionClass::Modify, _))
                );
            if modifies_noun {
                verb = Some(ActionClass::Create);
                break;
            }
            if let Some(Lex::Action(c, _)) = stem_into(part, &mut buf).and_then(lexicon)
                && c != ActionClass::Recommend
            {
                verb = Some(c);
                break;
            }
        }
        if let Some(c) = verb {
            set.insert(c);
            break;
        }
    }
    // `send_money`: money, not a message.
    if set.contains(ActionClass::Transfer) {
        set = set.minus(ClassSet(ActionClass::Contact.bit()));
    }
    set
}

/// A POST to Salesforce's `sobjects/<Type>` creates a record of that type:
/// an `EmailMessage` record logs or drafts an email, it sends nothing
/// (sending goes through `actions/standard/emailSimple`).
fn creates_sobject(url: &str) -> bool {
    let mut segments = url_path(url).split('/').filter(|s| !s.is_empty());
    segments.any(|s| s.eq_ignore_ascii_case("sobjects")) && segments.count() == 1
}

/// Whether a write request to `url` creates a mail draft rather than sending:
/// Microsoft Graph's `POST /me/messages` (or `/users/{id}/messages`,
/// `.../mailFolders/{id}/messages`) saves a draft; sending is `/sendMail` or
/// `/messages/{id}/send`, and `/chats/{id}/messages` posts a chat message.
/// A `messages` collection elsewhere (Twilio, chat APIs) sends.
fn creates_mail_draft(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if !host.eq_ignore_ascii_case("graph.microsoft.com") {
        return false;
    }
    let segments: Vec<&str> = url_path(url).split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [.., owner, last] if last.eq_ignore_ascii_case("messages") => {
            owner.eq_ignore_ascii_case("me")
                || segments.len() >= 3
                    && ["users", "mailFolders"]
                        .iter()
                        .any(|k| segments[segments.len() - 3].eq_ignore_ascii_case(k))
        }
        _ => false,
    }
}

/// Whether `url` is another agent's A2A endpoint (`/a2a/...`, or the
/// protocol's `message:send`, `message:stream`, `tasks:send` methods):
/// posting to it hands work to that agent, it reaches no person.
pub(crate) fn is_agent_endpoint(url: &str) -> bool {
    let mut last = "";
    for s in url_path(url).split('/').filter(|s| !s.is_empty()) {
        if s.eq_ignore_ascii_case("a2a") {
            return true;
        }
        last = s;
    }
    [
        "message:send",
        "message:stream",
        "tasks:send",
        "tasks:sendsubscribe",
    ]
    .iter()
    .any(|m| last.eq_ignore_ascii_case(m))
}

/// The path of a URL, without scheme, host and query.
pub(crate) fn url_path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or(path)
}

/// Verbs that only look: a tool named with one has no side effect, whatever
/// it looks at (`get_email`, `list_payments`, `search_flights`).
const READ_VERBS: &[&str] = &[
    "get",
    "list",
    "read",
    "search",
    "fetch",
    "find",
    "lookup",
    "look",
    "query",
    "check",
    "view",
    "show",
    "describe",
    "count",
    "summarize",
    "summarise",
    "preview",
    "validate",
    "estimate",
    "quote",
    "inspect",
    "diff",
    "explain",
    "analyze",
    "analyse",
    "run",
    "select",
    "open",
    "load",
    "download",
    "retrieve",
    "browse",
    "scan",
    "calculate",
    "compute",
    "convert",
    "parse",
    "format",
    "translate",
    "classify",
    "compare",
    "verify",
    "lint",
    "test",
    "audit",
    "review",
    "extract",
    "score",
    "rank",
    "match",
    "reconcile",
    "track",
    "monitor",
    "inspect",
    "peek",
    "export",
    "render",
    "print",
    "watch",
    "poll",
    "resolve_address",
    "geocode",
    "forecast",
];

/// Words in a tool name that make it a harmless rehearsal of an effect: a
/// draft is not a send, a dry run is not a write.
const REHEARSALS: &[&str] = &[
    "draft",
    "drafts",
    "preview",
    "dry",
    "dryrun",
    "simulate",
    "simulation",
    "sandbox",
    "estimate",
    "suggest",
    "propose",
    "template",
    "mock",
    "plan",
];

/// What a tool creates when it only produces output for people to read: a
/// draft, a note, a report is not a change to anyone's records.
const OUTPUT_NOUNS: &[&str] = &[
    "draft",
    "note",
    "notes",
    "report",
    "reports",
    "doc",
    "document",
    "summary",
    "brief",
    "letter",
    "memo",
    "chart",
    "comment",
    "comments",
    "markdown",
    "pdf",
    "csv",
    "slide",
    "slides",
    "recommendation",
    "proposal",
    "assessment",
    "analysis",
    "digest",
    "outline",
];

/// First parts of a tool name that hand work to another agent: the act is
/// a delegation, judged by the task it hands down.
const DELEGATING: &[&str] = &["ask", "consult", "delegate", "handoff", "route", "invoke"];

/// Last parts of a tool name that name another agent (`call_billing_agent`,
/// `ask_mail_reader`, `transfer_to_cv_screener`).
const AGENT_NOUNS: &[&str] = &[
    "agent",
    "assistant",
    "reader",
    "writer",
    "screener",
    "analyst",
    "reviewer",
    "planner",
    "specialist",
    "expert",
    "bot",
    "worker",
    "researcher",
    "subagent",
];

/// Whether a tool is a hand-off to another agent (`delegate_spc_analysis`,
/// `transfer_to_cv_screener`, `a2a_send_task`).
pub(crate) fn is_delegation_tool(name: &str) -> bool {
    let parts: Vec<&str> = ident_parts(name).collect();
    let first = parts.first().copied().unwrap_or("");
    let transfer_to = parts.len() > 2
        && (first.eq_ignore_ascii_case("transfer") || first.eq_ignore_ascii_case("hand"))
        && parts[1].eq_ignore_ascii_case("to");
    // A2A's task calls (`a2a_send_task`, `a2a_send_message`) post work to
    // another agent whatever their verb says.
    transfer_to
        || parts.iter().any(|p| p.eq_ignore_ascii_case("a2a"))
        || DELEGATING.iter().any(|d| first.eq_ignore_ascii_case(d))
        || parts
            .last()
            .is_some_and(|l| AGENT_NOUNS.iter().any(|a| l.eq_ignore_ascii_case(a)))
}

/// Tool-name parts that mean arbitrary command execution.
pub(crate) const SHELL: &[&str] = &[
    "shell",
    "bash",
    "exec",
    "terminal",
    "command",
    "cmd",
    "sh",
    "powershell",
    "subprocess",
];

/// The effects a tool has, read from its name: the first verb decides (a
/// read verb means none), vendor prefixes are skipped (`GmailSendEmail`,
/// `AugustSmartLockGrantGuestAccess`), a shell can do anything.
/// Verbs whose effect depends on what follows them in a tool name: the first
/// rule whose verb is `part` and one of whose objects comes later decides.
/// What a grant gives away when it is no access: goods, currency, credit.
pub(crate) const GIVEAWAYS: &[&str] = &[
    "item",
    "items",
    "currency",
    "currencies",
    "credit",
    "credits",
    "coins",
    "gems",
    "points",
    "reward",
    "rewards",
    "compensation",
    "bonus",
    "voucher",
    "vouchers",
    "entitlement",
    "entitlements",
];

const VERB_OBJECT_RULES: &[(&[&str], &[&str], ActionClass)] = &[
    // Scheduling a message is sending it, later.
    (
        &["schedule", "queue"],
        &[
            "email",
            "emails",
            "message",
            "messages",
            "campaign",
            "newsletter",
            "sms",
            "send",
            "blast",
            "broadcast",
            "mail",
            "mailing",
        ],
        ActionClass::Contact,
    ),
    // Scheduling, creating or releasing a payment moves money, later.
    (
        &[
            "schedule", "queue", "create", "submit", "initiate", "release", "run", "execute",
        ],
        &[
            "payment",
            "payments",
            "transfer",
            "transfers",
            "remittance",
            "disbursement",
            "payrun",
        ],
        ActionClass::Transfer,
    ),
    // Posting a credit or an adjustment changes a balance
    // (`amdocs_post_credit`); posting a document books a new one
    // (`sap_post_invoice`, `post_journal_entry`); posting a reply or a
    // comment answers someone.
    (
        &["post"],
        &[
            "credit",
            "credits",
            "adjustment",
            "adjustments",
            "charge",
            "charges",
        ],
        ActionClass::Modify,
    ),
    (
        &["post"],
        &[
            "invoice", "invoices", "journal", "entry", "entries", "ledger", "accrual", "document",
        ],
        ActionClass::Create,
    ),
    (
        &["post"],
        &[
            "reply", "replies", "response", "comment", "comments", "answer",
        ],
        ActionClass::Contact,
    ),
    // Posting to a chat channel messages its members ("post the review to
    // the #mcc-daily Teams channel").
    (
        &["post"],
        &[
            "channel", "channels", "slack", "teams", "thread", "chat", "message", "messages",
        ],
        ActionClass::Contact,
    ),
    // Granting items, currency or credits gives something away
    // (`grant_soft_currency`, `vault_grant_items`); access is not granted.
    (
        &["grant", "grants", "gift", "award"],
        GIVEAWAYS,
        ActionClass::Discount,
    ),
    // Creating a reply is replying (`procore_create_rfi_reply`).
    (
        &["create", "add", "submit"],
        &["reply", "replies"],
        ActionClass::Contact,
    ),
    // A new permission on a file or a calendar shares it
    // (`drive_permissions_create`, `calendar_acl_insert`).
    (
        &["create", "insert"],
        &["permission", "permissions", "acl", "acls"],
        ActionClass::Grant,
    ),
    // Assigning a role or adding to a group changes who may do what.
    (
        &["assign", "add", "give", "make", "promote", "set"],
        &[
            "role",
            "roles",
            "admin",
            "permission",
            "permissions",
            "access",
            "privilege",
            "privileges",
            "group",
            "groups",
            "owner",
            "license",
        ],
        ActionClass::Grant,
    ),
];

/// Whether "run" opens a check rather than a program: "run the four policy
/// tests", "run a query against the ledger", "run the numbers" read and
/// compare; "run the cleanup script", "run the playbook" execute.
pub(crate) fn runs_a_check(rest: &[&str]) -> bool {
    const CHECKS: &[&str] = &[
        "test",
        "check",
        "quer",
        "report",
        "search",
        "number",
        "analys",
        "comparison",
        "compare",
        "screen",
        "reconcil",
        "calculat",
        "match",
        "lookup",
        "diff",
        "sanity",
        "validat",
        "audit",
        "review",
        "count",
        "sum",
    ];
    rest.iter().take(5).any(|w| {
        CHECKS
            .iter()
            .any(|c| w.len() >= c.len() && w[..c.len()].eq_ignore_ascii_case(c))
    })
}

pub(crate) fn verb_with_object(part: &str, rest: &[&str]) -> Option<ActionClass> {
    let is_any = |w: &str, list: &[&str]| list.iter().any(|k| w.eq_ignore_ascii_case(k));
    VERB_OBJECT_RULES
        .iter()
        .find(|(verbs, objects, _)| is_any(part, verbs) && rest.iter().any(|p| is_any(p, objects)))
        .map(|(_, _, class)| *class)
}

pub(crate) fn tool_classes(name: &str) -> ClassSet {
    let mut set = ClassSet::default();
    let parts: Vec<&str> = ident_parts(name).collect();
    if parts
        .iter()
        .any(|p| SHELL.iter().any(|s| p.eq_ignore_ascii_case(s)))
    {
        set.insert(ActionClass::Execute);
        set.insert(ActionClass::Modify);
        return set;
    }
    if parts
        .iter()
        .any(|p| REHEARSALS.iter().any(|s| p.eq_ignore_ascii_case(s)))
        || is_delegation_tool(name)
    {
        return set;
    }
    // A name that ends on what is read (`slack_conversations_history`,
    // `gmail_messages_list`, `twilio_message_status`) reads it, unless a
    // verb opens it (`post_message_thread`). A name that ends on a read
    // verb reads what comes before it (`fee_schedule_query`: the schedule
    // is what it queries).
    const READ_ENDINGS: &[&str] = &[
        "history", "list", "info", "details", "status", "search", "lookup", "metadata", "count",
        "query", "read", "get", "fetch", "view",
    ];
    const OPENING_VERBS: &[&str] = &[
        "send", "post", "create", "delete", "update", "add", "remove", "set", "pay", "transfer",
        "reply", "forward", "publish", "share", "invite", "cancel", "approve", "grant", "revoke",
        "write", "edit", "modify", "archive", "close", "resolve", "submit",
    ];
    let opens_with_verb = || {
        parts
            .iter()
            .take(2)
            .any(|p| OPENING_VERBS.iter().any(|v| p.eq_ignore_ascii_case(v)))
    };
    if parts.len() >= 2
        && parts
            .last()
            .is_some_and(|l| READ_ENDINGS.iter().any(|r| l.eq_ignore_ascii_case(r)))
        && !opens_with_verb()
    {
        return set;
    }
    // Calling a service is not calling a person (`call_matcher_service`,
    // `invoke_pricing_api`): what it does is the service's, unknown here.
    const SERVICES: &[&str] = &[
        "service",
        "api",
        "endpoint",
        "function",
        "lambda",
        "webhook",
        "model",
        "worker",
        "engine",
        "microservice",
        "rpc",
    ];
    if parts.len() >= 2
        && parts
            .first()
            .is_some_and(|p| p.eq_ignore_ascii_case("call") || p.eq_ignore_ascii_case("invoke"))
        && parts[1..]
            .iter()
            .any(|p| SERVICES.iter().any(|s| p.eq_ignore_ascii_case(s)))
    {
        return set;
    }
    // Starting a job creates the job (`enqueue_close_job`,
    // `trigger_reconcile_run`): what the job then does is its worker's,
    // unknown here, unless it moves money or sends (see `VERB_OBJECT_RULES`).
    const LAUNCH: &[&str] = &[
        "enqueue", "queue", "trigger", "kick", "launch", "start", "run",
    ];
    const JOBS: &[&str] = &[
        "job", "jobs", "task", "tasks", "run", "batch", "workflow", "pipeline",
    ];
    if parts.len() >= 3
        && LAUNCH.iter().any(|l| parts[0].eq_ignore_ascii_case(l))
        && parts
            .last()
            .is_some_and(|l| JOBS.iter().any(|j| l.eq_ignore_ascii_case(j)))
        && verb_with_object(parts[0], &parts[1..]).is_none()
    {
        set.insert(ActionClass::Create);
        return set;
    }
    let mut buf = [0u8; MAX_WORD];
    // A channel named first is the vendor (`slack_read_channel`,
    // `teams_list_messages`, `sms_get_inbox`): the read verb after it says
    // what the tool does.
    if parts.len() >= 2
        && READ_VERBS.iter().any(|v| parts[1].eq_ignore_ascii_case(v))
        && stem_into(parts[0], &mut buf)
            .and_then(lexicon)
            .is_some_and(|l| matches!(l, Lex::Action(ActionClass::Contact, _)))
    {
        return ClassSet::default();
    }
    // The first verb decides what the tool does; later action words are what
    // it acts on (`create_marketing_email` creates, it does not send).
    // Ambiguous words ("message", "order", "post") are verbs only near the
    // start of the name (`message_customer`, `slack_post_message`), nouns
    // after a vendor and a verb (`sprout_tag_message`).
    let mut verb: Option<ActionClass> = None;
    for (i, part) in parts.iter().enumerate() {
        if READ_VERBS.iter().any(|v| part.eq_ignore_ascii_case(v)) {
            if verb.is_none() {
                return ClassSet::default();
            }
            continue;
        }
        if ["money", "fund", "funds", "iban", "payout", "wire"]
            .iter()
            .any(|m| part.eq_ignore_ascii_case(m))
        {
            set.insert(ActionClass::Transfer);
            continue;
        }
        if verb.is_some() {
            continue;
        }
        // Writing a document is creating output, not changing records.
        if part.eq_ignore_ascii_case("write") || part.eq_ignore_ascii_case("compose") {
            verb = Some(ActionClass::Create);
            continue;
        }
        // Resource first, method last (`drive_permissions_create`,
        // `calendar_events_insert`, as Google's APIs name them): the
        // resource is the object.
        let objects = if i + 1 == parts.len() && i > 0 {
            &parts[..i]
        } else {
            &parts[i + 1..]
        };
        if let Some(class) = verb_with_object(part, objects) {
            verb = Some(class);
            continue;
        }
        let Some(stem) = stem_into(part, &mut buf) else {
            continue;
        };
        if let Some(Lex::Action(c, weak)) = lexicon(stem) {
            if weak && i >= 2 {
                continue;
            }
            verb = Some(c);
        } else if [
            "assign",
            "update_",
            "record",
            "enter",
            "save",
            "store",
            "mark",
            "tag",
            "label",
            "archive",
            "move",
            "rename",
            "reset",
            "enable",
            "install",
            "apply",
            "approve",
            "reject",
            "submit",
            "file",
            "register",
            "upsert",
            "patch",
            "put",
            "renew",
            "extend",
            "reinstate",
            "suspend",
        ]
        .iter()
        .any(|v| part.eq_ignore_ascii_case(v))
        {
            // Verbs outside the lexicon that still change records.
            verb = Some(
                if ["submit", "file", "register"]
                    .iter()
                    .any(|v| part.eq_ignore_ascii_case(v))
                {
                    ActionClass::Create
                } else {
                    ActionClass::Modify
                },
            );
        }
    }
    // A recommendation tool produces advice, judged as words.
    if let Some(v) = verb.filter(|v| *v != ActionClass::Recommend) {
        set.insert(v);
    }
    // `send_money`, `transfer_funds` move money; they are not messages.
    if set.contains(ActionClass::Transfer) {
        set = set.minus(ClassSet(ActionClass::Contact.bit()));
    }
    if set == ClassSet(ActionClass::Create.bit())
        && parts
            .iter()
            .any(|p| OUTPUT_NOUNS.iter().any(|o| p.eq_ignore_ascii_case(o)))
    {
        return ClassSet::default();
    }
    set
}

/// What a command line does (the argument of a shell tool): by its verbs,
/// PowerShell `Verb-Noun` or Unix commands. `None` when it cannot tell.
pub(crate) fn command_classes(command: &str) -> Option<ClassSet> {
    let mut set = ClassSet::default();
    let mut known = false;
    for piece in command.split(['|', ';', '&', '\n']) {
        let piece = piece.trim().trim_start_matches("sudo ").trim();
        let first = piece.split_whitespace().next().unwrap_or("");
        let first = first.trim_start_matches(['(', '$', '"', '\'']);
        if first.is_empty() {
            continue;
        }
        // PowerShell: Get-MailboxPermission, Add-MailboxPermission...
        if let Some((verb, noun)) = first.split_once('-')
            && verb.bytes().all(|b| b.is_ascii_alphabetic())
            && noun.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        {
            known = true;
            let v = verb.to_ascii_lowercase();
            let grant = noun.to_ascii_lowercase().contains("permission")
                || noun.to_ascii_lowercase().contains("role");
            match v.as_str() {
                "get" | "test" | "find" | "search" | "select" | "measure" | "show" | "read"
                | "resolve" | "format" | "out" | "write" | "where" | "sort" | "convertto"
                | "export" | "compare" | "import" => {}
                "add" | "new" | "set" | "grant" | "revoke" | "enable" | "disable" | "update"
                    if grant =>
                {
                    set.insert(ActionClass::Grant)
                }
                "add" | "new" => set.insert(ActionClass::Create),
                "remove" | "clear" => set.insert(ActionClass::Delete),
                "send" => set.insert(ActionClass::Contact),
                "invoke" | "start" => set.insert(ActionClass::Execute),
                _ => set.insert(ActionClass::Modify),
            }
            continue;
        }
        let cmd = first
            .rsplit('/')
            .next()
            .unwrap_or(first)
            .to_ascii_lowercase();
        let rest = &piece[first.len().min(piece.len())..];
        known = true;
        match cmd.as_str() {
            "ls" | "cat" | "grep" | "head" | "tail" | "find" | "echo" | "pwd" | "ps" | "df"
            | "du" | "wc" | "stat" | "which" | "whoami" | "less" | "more" | "jq" | "awk"
            | "sort" | "uniq" | "date" | "env" | "printenv" | "id" | "uname" | "file" | "diff"
            | "tree" | "dig" | "nslookup" | "ping" | "kubectl"
                if !rest.contains(" delete") && !rest.contains(" apply") => {}
            "git"
                if ["status", "log", "diff", "show", "branch", "fetch", "blame"]
                    .iter()
                    .any(|s| rest.trim_start().starts_with(s)) => {}
            "git" if rest.trim_start().starts_with("push") => set.insert(ActionClass::Deploy),
            "rm" | "rmdir" | "shred" | "unlink" | "truncate" => set.insert(ActionClass::Delete),
            "mail" | "sendmail" | "mutt" | "mailx" => set.insert(ActionClass::Contact),
            "curl" | "wget" | "http" => {
                if [
                    "-X POST",
                    "-XPOST",
                    "--data",
                    " -d ",
                    "-F ",
                    "--post",
                    "-X PUT",
                    "-X DELETE",
                    "-T ",
                ]
                .iter()
                .any(|f| rest.contains(f))
                {
                    set.insert(ActionClass::Modify);
                }
            }
            _ => {
                set.insert(ActionClass::Modify);
                set.insert(ActionClass::Execute);
            }
        }
        if rest.contains(" > ") || rest.contains(" >> ") {
            set.insert(ActionClass::Modify);
        }
    }
    known.then_some(set)
}

/// The command line in a shell tool's arguments: a bare string, or the
/// string under a `command`/`cmd`/`script` key.
fn command_of(args: &str) -> Option<std::borrow::Cow<'_, str>> {
    let t = args.trim();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return Some(std::borrow::Cow::Borrowed(t));
    }
    let v: serde_json::Value = serde_json::from_str(t).ok()?;
    ["command", "cmd", "script", "commands", "input", "code"]
        .iter()
        .find_map(|k| v.get(*k))
        .and_then(|c| match c {
            serde_json::Value::String(s) => Some(std::borrow::Cow::Owned(s.clone())),
            serde_json::Value::Array(a) => Some(std::borrow::Cow::Owned(
                a.iter()
                    .filter_map(|x| x.as_str())
                    .collect::<Vec<_>>()
                    .join("\n"),
            )),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_graph_mail_message_created_by_post_is_a_draft() {
        let g = "https://graph.microsoft.com/v1.0";
        assert!(creates_mail_draft(&format!("{g}/me/messages")));
        assert!(creates_mail_draft(&format!(
            "{g}/users/ana@corp.example/messages"
        )));
        assert!(creates_mail_draft(&format!(
            "{g}/me/mailFolders/drafts/messages"
        )));
        // Sending, chat messages, and other APIs' message collections send.
        assert!(!creates_mail_draft(&format!("{g}/me/sendMail")));
        assert!(!creates_mail_draft(&format!("{g}/me/messages/AAMk1/send")));
        assert!(!creates_mail_draft(&format!("{g}/chats/19:abc/messages")));
        assert!(!creates_mail_draft(&format!(
            "{g}/teams/t1/channels/c1/messages"
        )));
        assert!(!creates_mail_draft(
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        ));
        assert!(!creates_mail_draft(
            "https://evil.example/graph.microsoft.com/me/messages"
        ));
    }

    #[test]
    fn a_collection_named_after_a_change_is_created_in() {
        let p = "/rest/v1.0/projects/771204/prime_contract_change_orders";
        assert_eq!(path_classes(p), ClassSet(ActionClass::Create.bit()));
        assert!(path_classes("/v1/prices/bulk_update_prices").contains(ActionClass::Modify));
        assert!(path_classes("/orders/7/change").contains(ActionClass::Modify));
    }

    #[test]
    fn a_hand_off_over_http_changes_no_record() {
        let act = |tool| Act {
            origin: Origin::Performed,
            tool: Some(tool),
            args: Some(r#"{"task": "Pull the SPC data, read only"}"#),
            sql: None,
            http_method: Some("POST"),
            url: Some("http://spc-analyst.svc:8088/v1/tasks"),
            messaging_op: None,
            destination: None,
            messaging_system: None,
        };
        let handing = act("delegate_spc_analysis");
        let handed = Effects::of(&handing);
        assert!(handed.classes.is_empty(), "{handed:?}");
        assert_eq!(handed.http_write.as_deref(), Some("POST"));
        // The same request from a tool that is no hand-off writes.
        let submitting = act("submit_spc_job");
        let written = Effects::of(&submitting);
        assert!(written.classes.contains(ActionClass::Modify), "{written:?}");
    }

    #[test]
    fn send_flags_are_found_whatever_the_spacing_and_case() {
        assert!(sends_by_flag(
            r#"{"to": "a@b.example", "Status" :  "SENT"}"#
        ));
        assert!(sends_by_flag("{\"body\": \"hi\",\n  \"send_now\":\ttrue}"));
        assert!(sends_by_flag(r#"{"draft": {"notify": true}}"#));
        assert!(!sends_by_flag(r#"{"status": "draft", "send_now": false}"#));
        assert!(!sends_by_flag(r#"{"note": "status sent true"}"#));
        assert!(!sends_by_flag(r#"{"status": "sen"#));
    }

    #[test]
    fn tools_by_name() {
        assert!(tool_classes("send_email").contains(ActionClass::Contact));
        // A call to a service is not a call to a person.
        assert!(tool_classes("call_matcher_service").is_empty());
        assert!(tool_classes("invoke_pricing_api").is_empty());
        assert!(tool_classes("call_customer").contains(ActionClass::Contact));
        assert!(tool_classes("gmail.send").contains(ActionClass::Contact));
        assert!(tool_classes("GmailSendEmail").contains(ActionClass::Contact));
        assert!(tool_classes("transfer_funds").contains(ActionClass::Transfer));
        assert!(tool_classes("BankManagerTransferFunds").contains(ActionClass::Transfer));
        assert!(!tool_classes("send_money").contains(ActionClass::Contact));
        assert!(tool_classes("deleteAccount").contains(ActionClass::Delete));
        assert!(tool_classes("AugustSmartLockGrantGuestAccess").contains(ActionClass::Grant));
        assert!(tool_classes("TwitterManagerPostTweet").contains(ActionClass::Publish));
        assert!(tool_classes("TerminalExecute").contains(ActionClass::Execute));
        assert!(tool_classes("get_email").is_empty());
        assert!(tool_classes("EvernoteManagerSearchNotes").is_empty());
        assert!(
            tool_classes("create_draft").is_empty(),
            "a draft sends nothing"
        );
        assert!(tool_classes("search_flights").is_empty());
        assert!(tool_classes("run_sql").is_empty());
        assert!(tool_classes("get_order").is_empty());
        assert!(tool_classes("book_flight").contains(ActionClass::Purchase));
        assert!(tool_classes("issue_refund").contains(ActionClass::Transfer));
        assert!(tool_classes("tipalti_schedule_payment").contains(ActionClass::Transfer));
        assert!(tool_classes("create_payment_run").contains(ActionClass::Transfer));
        assert!(!tool_classes("get_payment_status").contains(ActionClass::Transfer));
        // Posting to a ledger books an entry; posting a reply answers.
        assert_eq!(
            tool_classes("amdocs_post_credit"),
            ClassSet(ActionClass::Modify.bit())
        );
        assert_eq!(
            tool_classes("crm_post_case_reply"),
            ClassSet(ActionClass::Contact.bit())
        );
        assert!(tool_classes("procore_create_rfi_reply").contains(ActionClass::Contact));
        // Google-style resource.method names: the resource is the object.
        assert!(tool_classes("drive_permissions_create").contains(ActionClass::Grant));
        assert!(!tool_classes("drive_files_create").contains(ActionClass::Grant));
        assert_eq!(
            tool_classes("sap_post_invoice"),
            ClassSet(ActionClass::Create.bit())
        );
        assert!(
            tool_classes("transfer_to_cv_screener").is_empty(),
            "a hand-off moves no money"
        );
        assert!(tool_classes("ask_mail_reader").is_empty());
        assert!(tool_classes("write_brief").is_empty());
        assert!(tool_classes("create_claim_note").is_empty());
        assert!(tool_classes("create_ticket").contains(ActionClass::Create));
        assert!(tool_classes("create_recommendation").is_empty());
        assert!(
            tool_classes("sprout_tag_message").contains(ActionClass::Modify),
            "tagging changes a record; it sends nothing"
        );
        assert!(!tool_classes("hubspot_create_marketing_email").contains(ActionClass::Contact));
        assert!(tool_classes("slack_post_message").contains(ActionClass::Contact));
        assert!(tool_classes("gws_assign_admin_role").contains(ActionClass::Grant));
        assert!(tool_classes("send_money").contains(ActionClass::Transfer));
        assert!(tool_classes("hubspot_schedule_marketing_email").contains(ActionClass::Contact));
        assert!(!tool_classes("schedule_interview").contains(ActionClass::Contact));
    }

    #[test]
    fn commands_by_their_verbs() {
        let c = |s| command_classes(s).unwrap();
        assert!(c("Get-MailboxPermission -Identity shared@corp.example").is_empty());
        assert!(
            c("Add-MailboxPermission -Identity x -User dana -AccessRights FullAccess")
                .contains(ActionClass::Grant)
        );
        assert!(c("ls -la /srv && cat /etc/hosts | grep db").is_empty());
        assert!(c("rm -rf /tmp/build").contains(ActionClass::Delete));
        assert!(
            c("curl -X POST https://x.example/hook -d @data.json").contains(ActionClass::Modify)
        );
        assert!(c("git push origin main").contains(ActionClass::Deploy));
    }

    #[test]
    fn span_effects() {
        let s = SpanView::from_attributes("q", [("db.query.text", "UPDATE customers SET a=1")]);
        let a = acts(&s);
        let e = Effects::of(&a[0]);
        assert!(e.sql_write.is_some() && !e.deletes());
        let s = SpanView::from_attributes("q", [("http.request.method", "GET")]);
        let a = acts(&s);
        let e = Effects::of(&a[0]);
        assert!(e.http_write.is_none() && !e.has_side_effect());
        let s = SpanView::from_attributes("p", [("messaging.operation.type", "publish")]);
        assert!(Effects::of(&acts(&s)[0]).sends);
        // An event on a Kafka topic reaches no one; a notifications topic does.
        let kafka = |topic: &'static str| {
            SpanView::from_attributes(
                "k",
                [
                    ("messaging.system", "kafka"),
                    ("messaging.operation.type", "send"),
                    ("messaging.destination.name", topic),
                ],
            )
        };
        let s = kafka("payroll.offcycle.events");
        let a = acts(&s);
        let e = Effects::of(&a[0]);
        assert!(!e.sends && e.classes.contains(ActionClass::Create), "{e:?}");
        let s = kafka("customer-notifications");
        assert!(Effects::of(&acts(&s)[0]).sends);
        let s = SpanView::from_attributes(
            "t",
            [
                ("gen_ai.tool.name", "http_request"),
                (
                    "gen_ai.tool.call.arguments",
                    r#"{"method": "DELETE", "url": "https://x.example/a"}"#,
                ),
            ],
        );
        assert!(Effects::of(&acts(&s)[0]).deletes());
    }

    #[test]
    fn an_event_on_an_internal_broker_changes_no_known_record() {
        let s = SpanView::from_attributes(
            "ts.enforcement.jobs publish",
            [
                ("messaging.system", "kafka"),
                ("messaging.operation.type", "publish"),
                ("messaging.destination.name", "ts.enforcement.jobs"),
            ],
        );
        let a = acts(&s);
        let e = Effects::of(&a[0]);
        assert!(!e.sends);
        assert!(!e.known(), "{e:?}");
        // A queue that reaches people is a send.
        let s = SpanView::from_attributes(
            "notify.outbound publish",
            [
                ("messaging.system", "kafka"),
                ("messaging.operation.type", "publish"),
                ("messaging.destination.name", "notify.outbound"),
            ],
        );
        let a = acts(&s);
        assert!(Effects::of(&a[0]).sends);
    }

    #[test]
    fn a_salesforce_record_post_creates_and_sends_nothing() {
        assert!(creates_sobject(
            "https://acme.my.salesforce.com/services/data/v61.0/sobjects/EmailMessage"
        ));
        assert!(!creates_sobject(
            "https://acme.my.salesforce.com/services/data/v61.0/sobjects/Case/5004x/EmailMessages"
        ));
        assert!(!creates_sobject(
            "https://acme.my.salesforce.com/services/data/v61.0/actions/standard/emailSimple"
        ));
        let s = SpanView::from_attributes(
            "POST",
            [
                ("http.request.method", "POST"),
                (
                    "url.full",
                    "https://acme.my.salesforce.com/services/data/v61.0/sobjects/EmailMessage",
                ),
            ],
        );
        let a = acts(&s);
        let e = Effects::of(&a[0]);
        assert!(!e.sends, "{:?}", e.classes);
        assert!(e.classes.contains(ActionClass::Create));
    }

    #[test]
    fn a_post_to_another_agent_contacts_no_one() {
        for url in [
            "https://strike-history.agents.int.example/a2a/v1/message:send",
            "http://planner.svc:8080/v1/message:stream",
            "http://planner.svc:8080/A2A/tasks",
        ] {
            let s = SpanView::from_attributes(
                "POST",
                [("http.request.method", "POST"), ("url.full", url)],
            );
            let a = acts(&s);
            let e = Effects::of(&a[0]);
            assert!(!e.sends && e.classes.is_empty(), "{url}: {:?}", e.classes);
        }
        // The same kind of request to a service that is no agent writes.
        let s = SpanView::from_attributes(
            "POST",
            [
                ("http.request.method", "POST"),
                ("url.full", "http://planner.svc:8080/v1/message"),
            ],
        );
        let a = acts(&s);
        assert!(Effects::of(&a[0]).has_side_effect());
    }

    #[test]
    fn names_ending_on_what_is_read_read_it() {
        for read in [
            "slack_conversations_history",
            "gmail_messages_list",
            "twilio_message_status",
            "fee_schedule_query",
            "shipment_schedule_get",
            // The channel is the vendor; the verb after it reads.
            "slack_read_channel",
            "teams_list_messages",
        ] {
            assert!(tool_classes(read).is_empty(), "{read}");
        }
        assert!(!tool_classes("schedule_inspection").is_empty());
        assert!(!tool_classes("update_query").is_empty());
        assert!(tool_classes("slack_post_message").contains(ActionClass::Contact));
        assert!(tool_classes("update_order_status").contains(ActionClass::Modify));
    }

    #[test]
    fn starting_a_job_creates_the_job() {
        let only_create = ClassSet(ActionClass::Create.bit());
        assert_eq!(tool_classes("enqueue_close_job"), only_create);
        assert_eq!(tool_classes("trigger_purge_run"), only_create);
        // A job that pays still pays.
        assert!(tool_classes("queue_payment_job").contains(ActionClass::Transfer));
        // Not a job: the verb decides.
        assert!(tool_classes("close_ticket").contains(ActionClass::Delete));
    }

    #[test]
    fn proposed_calls_are_acts() {
        let s = SpanView::from_attributes(
            "chat",
            [
                ("gen_ai.operation.name", "chat"),
                (
                    "gen_ai.output.messages",
                    r#"[{"role":"assistant","parts":[{"type":"tool_call","name":"db_exec","arguments":{"stmt":"DELETE FROM customers WHERE id = 4"}}]}]"#,
                ),
            ],
        );
        let a = acts(&s);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].origin, Origin::Proposed);
        assert!(Effects::of(&a[0]).deletes());
    }
}

//! Small hand-written text analysis: words, a light stemmer, a lexicon.
//!
//! Why not regex: the scorer runs on every span within a few microseconds. A
//! tokenizer that walks the bytes once, lowercases into a stack buffer and does
//! one hash lookup per word is both faster than a regex pass and easier to
//! reason about (no per-span compilation, no allocation, no backtracking).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

/// Words longer than this are skipped by the topic analysis: they are hashes,
/// ids or base64, not vocabulary.
pub(crate) const MAX_WORD: usize = 32;

/// A small, fast, non-cryptographic hasher for short lowercase words (FNV-1a).
/// The keys come from intent texts and a fixed lexicon, not from an attacker
/// choosing collisions at scale, and a per-intent table is small.
#[derive(Default, Clone, Copy)]
pub(crate) struct WordHasher(u64);

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// Hash map keyed by words, with [`WordHasher`].
pub(crate) type WordMap<V> = HashMap<Box<str>, V, BuildHasherDefault<WordHasher>>;

/// A class of action a text can ask for. The objective says which classes the
/// session wants; any other class in a span's purpose is a change of task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ActionClass {
    /// Advice: recommend, suggest, advise.
    Recommend,
    /// Destruction: delete, remove, purge, drop.
    Delete,
    /// Contacting people: email, notify, message, call.
    Contact,
    /// Buying: purchase, buy, order, checkout.
    Purchase,
    /// Moving money: pay, transfer, wire, refund.
    Transfer,
    /// Changing data: update, modify, write, insert, edit.
    Modify,
    /// Shipping code: deploy, push, merge, release.
    Deploy,
    /// Giving money away: discount, coupon, voucher, goodwill credit.
    Discount,
    /// Adding something new: create, add, schedule. Kept apart from Modify so
    /// that "no changes to existing events" does not forbid a new event.
    Create,
    /// Making something public: publish, post, tweet, announce.
    Publish,
    /// Changing who may do what: grant, revoke, unlock, authorize.
    Grant,
    /// Running arbitrary commands: execute, a shell.
    Execute,
}

impl ActionClass {
    /// All classes, in bit order.
    pub(crate) const ALL: [ActionClass; 12] = [
        ActionClass::Recommend,
        ActionClass::Delete,
        ActionClass::Contact,
        ActionClass::Purchase,
        ActionClass::Transfer,
        ActionClass::Modify,
        ActionClass::Deploy,
        ActionClass::Discount,
        ActionClass::Create,
        ActionClass::Publish,
        ActionClass::Grant,
        ActionClass::Execute,
    ];

    /// A verb for explanations.
    pub(crate) const fn verb(self) -> &'static str {
        match self {
            ActionClass::Recommend => "recommend",
            ActionClass::Delete => "delete",
            ActionClass::Contact => "contact people",
            ActionClass::Purchase => "purchase",
            ActionClass::Transfer => "move money",
            ActionClass::Modify => "modify data",
            ActionClass::Deploy => "deploy",
            ActionClass::Discount => "grant discounts",
            ActionClass::Create => "create things",
            ActionClass::Publish => "publish",
            ActionClass::Grant => "change access rights",
            ActionClass::Execute => "run commands",
        }
    }

    /// What an act of this class does, for evidence ("`send_email` contacts people").
    pub(crate) const fn verb_ing(self) -> &'static str {
        match self {
            ActionClass::Recommend => "recommends",
            ActionClass::Delete => "deletes",
            ActionClass::Contact => "contacts people",
            ActionClass::Purchase => "purchases",
            ActionClass::Transfer => "moves money",
            ActionClass::Modify => "writes",
            ActionClass::Deploy => "deploys",
            ActionClass::Discount => "grants a discount",
            ActionClass::Create => "creates",
            ActionClass::Publish => "publishes",
            ActionClass::Grant => "changes access rights",
            ActionClass::Execute => "runs commands",
        }
    }

    pub(crate) const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of [`ActionClass`]es as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ClassSet(pub(crate) u16);

impl ClassSet {
    pub(crate) fn insert(&mut self, c: ActionClass) {
        self.0 |= c.bit();
    }
    pub(crate) fn contains(self, c: ActionClass) -> bool {
        self.0 & c.bit() != 0
    }
    pub(crate) fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub(crate) fn union(self, o: ClassSet) -> ClassSet {
        ClassSet(self.0 | o.0)
    }
    pub(crate) fn minus(self, o: ClassSet) -> ClassSet {
        ClassSet(self.0 & !o.0)
    }
    pub(crate) fn intersect(self, o: ClassSet) -> ClassSet {
        ClassSet(self.0 & o.0)
    }
    pub(crate) fn iter(self) -> impl Iterator<Item = ActionClass> {
        ActionClass::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

/// What the global lexicon knows about a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lex {
    /// Function words: carry no topic.
    Stop,
    /// Words every agent trace uses whatever the task (query, result, rows...):
    /// neither evidence for nor against the objective.
    Neutral,
    /// Negation: the next few words are what must *not* happen.
    Negation,
    /// A verb or noun that names a class of action. `weak` words ("write",
    /// "send", "order") only count where words are commands: tool names,
    /// constraints, what the objective asks for.
    Action(ActionClass, bool),
}

const STOP: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "at", "from", "as",
    "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these",
    "those", "there", "here", "their", "them", "they", "we", "our", "us", "you", "your", "i", "me",
    "my", "he", "she", "his", "her", "him", "if", "then", "than", "so", "but", "into", "over",
    "under", "about", "after", "before", "only", "also", "just", "any", "all", "each", "every",
    "some", "such", "other", "more", "most", "less", "which", "who", "whom", "what", "when",
    "where", "why", "how", "can", "could", "will", "would", "shall", "should", "may", "might",
    "must", "do", "does", "did", "done", "have", "has", "had", "per", "via", "up", "out", "off",
    "own", "same", "both", "either", "too", "very", "please", "within", "older", "newer", "s", "t",
    "e", "g", "ie", "eg", "etc", "let", "lets", "like", "need", "needs", "want", "make", "based",
    "using", "use", "used", "true", "false", "null", "none", "yes", "ok", "okay", "here's", "one",
    "two", "three", "four", "five", "ten", "first", "new", "now", "today", "week", "weeks", "day",
    "days", "month", "months", "year", "years", "hour", "hours", "minute", "minutes", "least",
    "total", "please",
];

const NEUTRAL: &[&str] = &[
    // agent and tool plumbing
    "agent",
    "tool",
    "call",
    "task",
    "step",
    "plan",
    "result",
    "results",
    "output",
    "input",
    "response",
    "request",
    "reply",
    "answer",
    "assistant",
    "user",
    "system",
    "role",
    "content",
    "message",
    "text",
    "json",
    "type",
    "function",
    "arguments",
    "args",
    "status",
    "ok",
    "error",
    "id",
    "ids",
    "name",
    "names",
    "value",
    "values",
    "field",
    "fields",
    "key",
    "data",
    "item",
    "items",
    "list",
    "lists",
    "count",
    "number",
    "amount",
    "date",
    "time",
    "timestamp",
    "run",
    "get",
    "fetch",
    "read",
    "look",
    "lookup",
    "find",
    "found",
    "search",
    "query",
    "queries",
    "return",
    "returned",
    "returns",
    "show",
    "check",
    "checked",
    "verify",
    "review",
    "prepare",
    "compile",
    "collect",
    "gather",
    "report",
    "summary",
    "summarize",
    "summarise",
    "overview",
    "note",
    "notes",
    "detail",
    "details",
    "info",
    "information",
    "record",
    "records",
    "row",
    "rows",
    "column",
    "columns",
    "table",
    "tables",
    "limit",
    "offset",
    "order",
    "group",
    "sort",
    "filter",
    "where",
    "select",
    "from",
    "join",
    "left",
    "inner",
    "having",
    "distinct",
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "interval",
    "current_date",
    "now",
    "desc",
    "asc",
    "is",
    "not",
    "null",
    "http",
    "https",
    "www",
    "com",
    "org",
    "net",
    "api",
    "v1",
    "v2",
    "example",
    "invalid",
    "internal",
    "page",
    "pages",
    "next",
    "previous",
    "done",
    "complete",
    "completed",
    "success",
    "failed",
    "pending",
    "total",
    "totals",
    "breakdown",
    "based",
    "following",
    "above",
    "below",
    "include",
    "includes",
    "including",
    "contain",
    "contains",
    "using",
    "per",
    "each",
    "new",
    "handle",
    "handled",
    "process",
    "processed",
    "work",
    "working",
    "start",
    "started",
    "end",
    "finish",
    "finished",
    "delegate",
    "delegated",
    "subtask",
    "context",
    "source",
    "sources",
    "according",
    "ready",
    "available",
    "current",
    "currently",
    "recent",
    "latest",
    "format",
    "formatted",
    "markdown",
    "table",
    "bullet",
    "bullets",
    "section",
    "sections",
    "draft",
    "part",
    "parts",
    "finish_reason",
    "tool_call",
    "tool_calls",
    "document",
    "file",
    "files",
    "path",
    "line",
    "lines",
    "chat",
    "model",
    "session",
];

/// Negation words. `no`, `not`, `never` and friends, plus `without` and `avoid`.
const NEGATION: &[&str] = &[
    "no",
    "not",
    "never",
    "without",
    "avoid",
    "don't",
    "dont",
    "do_not",
    "mustn't",
    "cannot",
    "can't",
    "nor",
    "forbidden",
    "prohibited",
    "neither",
    "refrain",
    "nothing",
];

/// Words naming a class of action, before stemming.
const ACTIONS: &[(ActionClass, &[&str])] = &[
    (
        ActionClass::Recommend,
        &[
            "recommend",
            "recommendation",
            "recommended",
            "recommending",
            "suggest",
            "suggestion",
            "advise",
            "advice",
            "advisable",
            "propose",
            "proposal",
            "encourage",
            "urge",
        ],
    ),
    (
        ActionClass::Delete,
        &[
            "delete",
            "deletion",
            "remove",
            "removal",
            "purge",
            "drop",
            "erase",
            "wipe",
            "destroy",
            "truncate",
            "deactivate",
            "deactivation",
            "disable",
            "close",
            "closure",
            "terminate",
            "cancel",
            "cancellation",
        ],
    ),
    (
        ActionClass::Contact,
        &[
            "email",
            "emails",
            "emailing",
            "mail",
            "e-mail",
            "notify",
            "notification",
            "contact",
            "outreach",
            "message",
            "sms",
            "text",
            "call",
            "phone",
            "reach",
            "forward",
            "send",
            "slack",
            "invite",
            "post_message",
            "upload",
            "share",
            "reply",
            "respond",
            "cc",
            "bcc",
        ],
    ),
    (
        ActionClass::Purchase,
        &[
            "purchase",
            "buy",
            "checkout",
            "order",
            "book",
            "booking",
            "reserve",
            "reservation",
            "subscribe",
            "upgrade",
        ],
    ),
    (
        ActionClass::Transfer,
        &[
            "pay",
            "payment",
            "transfer",
            "wire",
            "refund",
            "payout",
            "remit",
            "disburse",
            "withdraw",
            "withdrawal",
            "reimburse",
            "reimbursement",
            "sell",
            // The payment rails: an `ach_stage_batch` moves money.
            "ach",
            "sepa",
            "bacs",
        ],
    ),
    (
        ActionClass::Modify,
        &[
            "write",
            "writes",
            "update",
            "modify",
            "modification",
            "change",
            "edit",
            "insert",
            "alter",
            "overwrite",
            "mutate",
            "set",
            "migrate",
            // Deciding a record's status ("do not close, accept or approve
            // the SCAR").
            "approve",
            "accept",
            "reject",
            // Changing an amount on a record ("waive or reduce a deposit").
            "waive",
            "adjust",
            "reduce",
            // Operating a running system changes it.
            "restart",
            "reboot",
            "scale",
            "rollback",
            "failover",
            // A push changes a shared branch; where it goes matters ("do not
            // push to main"), which the constraint's object narrows.
            "push",
            "force-push",
        ],
    ),
    (
        ActionClass::Deploy,
        &[
            "deploy",
            "deployment",
            "merge",
            "release",
            "rollout",
            "ship",
        ],
    ),
    (
        ActionClass::Publish,
        &[
            "publish",
            "post",
            "tweet",
            "retweet",
            "announce",
            "broadcast",
            "repost",
        ],
    ),
    (
        ActionClass::Grant,
        &[
            "grant",
            "revoke",
            "permission",
            "permissions",
            "unlock",
            "authorize",
            "authorise",
            "elevate",
            "provision",
        ],
    ),
    (ActionClass::Execute, &["execute", "exec", "eval"]),
    (
        ActionClass::Create,
        &["create", "add", "register", "schedule"],
    ),
    (
        ActionClass::Discount,
        &[
            "discount",
            "coupon",
            "voucher",
            "promo",
            "promotion",
            "rebate",
            "goodwill",
        ],
    ),
];

/// Words that are both neutral plumbing and an action (`message`, `text`,
/// `order`): the action reading wins only in tool names and contraction texts,
/// where words are verbs; in free output they stay neutral.
const AMBIGUOUS: &[&str] = &[
    "message", "text", "order", "call", "set", "create", "reply", "close", "write", "change",
    "book", "release", "ship", "drop", "reach", "forward", "send", "push", "publish", "post",
    "scale", "approve", "accept", "reject",
];

static LEXICON: LazyLock<WordMap<Lex>> = LazyLock::new(|| {
    let mut m: WordMap<Lex> = WordMap::default();
    let mut buf = [0u8; MAX_WORD];
    let mut put = |w: &str, lex: Lex, overwrite: bool| {
        if let Some(stem) = stem_into(w, &mut buf) {
            if overwrite {
                m.insert(stem.into(), lex);
            } else {
                m.entry(stem.into()).or_insert(lex);
            }
        }
    };
    // Weakness is a property of the stem: "writes" is as weak as "write".
    let stem_of = |w: &str| {
        let mut b = [0u8; MAX_WORD];
        stem_into(w, &mut b).map(str::to_owned)
    };
    let weak_stems: Vec<Option<String>> = AMBIGUOUS.iter().map(|a| stem_of(a)).collect();
    for (class, words) in ACTIONS {
        for w in *words {
            let weak = weak_stems.contains(&stem_of(w));
            put(w, Lex::Action(*class, weak), true);
        }
    }
    for w in NEGATION {
        put(w, Lex::Negation, true);
    }
    for w in STOP {
        put(w, Lex::Stop, false);
    }
    for w in NEUTRAL {
        put(w, Lex::Neutral, false);
    }
    m
});

/// Looks a stem up in the global lexicon.
pub(crate) fn lexicon(stem: &str) -> Option<Lex> {
    LEXICON.get(stem).copied()
}

/// A word of text: a maximal run of ASCII letters, digits, `_`, `-` inside a
/// word, and `'` inside a word. Non-ASCII letters end a word (they are rare in
/// tool names and SQL; prose in other languages scores as neutral).
pub(crate) fn words(text: &str) -> Words<'_> {
    Words { text, pos: 0 }
}

/// Iterator over the words of a text, with their byte offsets.
pub(crate) struct Words<'a> {
    text: &'a str,
    pos: usize,
}

/// Byte classes for the tokenizer: a table lookup per byte instead of a
/// chain of comparisons (this loop is the scorer's hottest).
const START: u8 = 1;
const INNER: u8 = 2;
const JOIN: u8 = 4;
static BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() {
            t[c] = START | INNER;
        } else if b == b'_' {
            t[c] = INNER;
        } else if b == b'\'' || b == b'-' {
            t[c] = JOIN;
        }
        c += 1;
    }
    t
};

/// The start of the run of word bytes (letters, digits, joining apostrophes
/// and hyphens) that contains byte `i`, not before `floor`: where [`words`]
/// run from there yields the word holding `i` first.
pub(crate) fn word_run_start(text: &str, i: usize, floor: usize) -> usize {
    let b = text.as_bytes();
    let mut j = i.min(b.len());
    while j > floor && BYTE_CLASS[usize::from(b[j - 1])] & (START | INNER | JOIN) != 0 {
        j -= 1;
    }
    j
}

impl<'a> Iterator for Words<'a> {
    type Item = (usize, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.text.as_bytes();
        let Some(offset) = b[self.pos..]
            .iter()
            .position(|&c| BYTE_CLASS[usize::from(c)] & START != 0)
        else {
            self.pos = b.len();
            return None;
        };
        let start = self.pos + offset;
        let mut i = start + 1;
        while let Some(&c) = b.get(i) {
            let class = BYTE_CLASS[usize::from(c)];
            if class & INNER != 0 {
                i += 1;
            } else if class & JOIN != 0
                && b.get(i + 1)
                    .is_some_and(|&n| BYTE_CLASS[usize::from(n)] & START != 0)
            {
                // An apostrophe or hyphen inside a word: "don't", "e-mail".
                i += 2;
            } else {
                break;
            }
        }
        self.pos = i;
        // Word bytes are ASCII, so `start..i` are char boundaries.
        Some((start, &self.text[start..i]))
    }
}

/// Splits an identifier into its parts: `send_email`, `sendEmail`,
/// `gmail.send`, `last-login` all give their words. Yields slices.
pub(crate) fn ident_parts(ident: &str) -> impl Iterator<Item = &str> {
    let b = ident.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < b.len() && !b[start].is_ascii_alphanumeric() {
            start += 1;
        }
        if start >= b.len() {
            return None;
        }
        let mut i = start + 1;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            // camelCase boundary: lower followed by upper.
            if b[i].is_ascii_uppercase() && b[i - 1].is_ascii_lowercase() {
                break;
            }
            i += 1;
        }
        let part = &ident[start..i];
        start = i;
        Some(part)
    })
}

/// Lowercases `word` into `buf` and strips common English suffixes so that
/// "recommendations", "recommended" and "recommend" meet. Returns `None` for
/// words that are too long, not ASCII, or only digits.
///
/// The stemmer is deliberately crude: it only has to be consistent between
/// the intent and the span, both of which go through it.
pub(crate) fn stem_into<'b>(word: &str, buf: &'b mut [u8; MAX_WORD]) -> Option<&'b str> {
    let bytes = word.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_WORD || !word.is_ascii() {
        return None;
    }
    if bytes.iter().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = bytes.len();
    for (d, s) in buf.iter_mut().zip(bytes) {
        *d = s.to_ascii_lowercase();
    }
    let w = &buf[..n];
    let mut end = n;
    let strip = |suffix: &[u8], min_left: usize, end: usize| -> Option<usize> {
        let w = &w[..end];
        (w.ends_with(suffix) && end - suffix.len() >= min_left).then(|| end - suffix.len())
    };
    // Plural first, then the verb or noun suffix, so that "bookings",
    // "booking" and "book" all meet (the stemmer must be idempotent on its
    // own output, since the lexicon is stemmed with it too).
    if let Some(e) = strip(b"ies", 3, end) {
        // "policies" -> "polic" + "y"
        buf[e] = b'y';
        end = e + 1;
    } else if w.ends_with(b"s")
        && !w.ends_with(b"ss")
        && !w.ends_with(b"us")
        && !w.ends_with(b"is")
        && n > 3
    {
        end = n - 1;
    }
    let w = &buf[..end];
    let strip2 = |suffix: &[u8], min_left: usize| -> Option<usize> {
        (w.ends_with(suffix) && w.len() - suffix.len() >= min_left).then(|| w.len() - suffix.len())
    };
    if let Some(e) = strip2(b"ation", 4)
        .or_else(|| strip2(b"ing", 4))
        .or_else(|| strip2(b"ed", 4))
    {
        end = e;
    }
    // Verb-final 'e' and doubled consonants make "close"/"closed" and
    // "drop"/"dropped" differ after stripping; normalize both.
    if end > 4 && buf[end - 1] == b'e' {
        end -= 1;
    }
    if end > 3 && buf[end - 1] == buf[end - 2] && !matches!(buf[end - 1], b'l' | b's' | b'e' | b'o')
    {
        end -= 1;
    }
    std::str::from_utf8(&buf[..end]).ok()
}

/// True if `needle` occurs in `hay`, ASCII case-insensitively. Allocation-free;
/// needles are short (terms, column names, hosts).
pub(crate) fn contains_ci(hay: &str, needle: &str) -> bool {
    find_ci(hay, needle, 0).is_some()
}

/// A few lowercase keywords, one of which every phrase of a list contains:
/// a cheap first test before the phrase automaton. The text is lowercased
/// once and searched with SIMD substring finders, an order of magnitude
/// fewer instructions per byte than an automaton over a long text.
pub(crate) struct Keywords(Vec<memchr::memmem::Finder<'static>>);

impl Keywords {
    /// Finders for `keywords`, which must be lowercase ASCII.
    pub(crate) fn new(keywords: &[&'static str]) -> Keywords {
        Keywords(
            keywords
                .iter()
                .map(|k| memchr::memmem::Finder::new(k.as_bytes()))
                .collect(),
        )
    }

    /// Whether `text` holds one of the keywords, ASCII case-insensitively.
    pub(crate) fn any_ci(&self, text: &str) -> bool {
        let lower = text.to_ascii_lowercase();
        self.0.iter().any(|f| f.find(lower.as_bytes()).is_some())
    }
}

/// A fixed list of phrases searched case-insensitively (ASCII) in one pass,
/// for the scorer's phrase lists: one automaton instead of one scan of the
/// text per phrase.
pub(crate) struct Phrases(aho_corasick::AhoCorasick);

impl Phrases {
    /// The automaton for `phrases`.
    pub(crate) fn new(phrases: &[&str]) -> Phrases {
        Phrases::build(phrases, true)
    }

    /// The automaton for `phrases`, matched as written (case-sensitively).
    pub(crate) fn exact(phrases: &[&str]) -> Phrases {
        Phrases::build(phrases, false)
    }

    fn build(phrases: &[&str], ignore_case: bool) -> Phrases {
        // Only a pattern set larger than the library's size limits fails;
        // these lists are a few hundred bytes.
        #[allow(clippy::expect_used)]
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(ignore_case)
            .match_kind(aho_corasick::MatchKind::LeftmostFirst)
            .build(phrases)
            .expect("the phrase lists are small");
        Phrases(ac)
    }

    /// `(phrase index, start)` of the phrases found left to right, not
    /// overlapping.
    pub(crate) fn found<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        self.0
            .find_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start()))
    }

    /// Byte offset of the leftmost phrase in `text`.
    pub(crate) fn first(&self, text: &str) -> Option<usize> {
        self.0.find(text).map(|m| m.start())
    }

    /// Whether any phrase occurs in `text`.
    pub(crate) fn any(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    /// Start offsets of the phrases found left to right (a phrase that
    /// starts inside an earlier match is not reported again).
    pub(crate) fn starts(&self, text: &str) -> Vec<usize> {
        self.0.find_iter(text).map(|m| m.start()).collect()
    }

    /// `(start, end)` of the phrases found left to right, not overlapping.
    pub(crate) fn spans<'t>(&'t self, text: &'t str) -> impl Iterator<Item = (usize, usize)> + 't {
        self.0.find_iter(text).map(|m| (m.start(), m.end()))
    }
}

/// Where `part` starts in `whole` when it is a slice of it (the same
/// memory, not equal text): a field read out of a larger text is found
/// without searching for it.
pub(crate) fn offset_within(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// Whether `s` starts with `prefix`, ASCII case-insensitively, on bytes:
/// never slices `s` inside a character.
pub(crate) fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The byte offset just after the last character of `s` that is not an
/// identifier character (ASCII letter, digit, `_`), or 0: where the
/// trailing identifier of `s` starts.
pub(crate) fn trailing_ident_start(s: &str, letters_only: bool) -> usize {
    s.char_indices()
        .rev()
        .find(|&(_, c)| {
            if letters_only {
                !c.is_ascii_alphabetic()
            } else {
                !(c.is_ascii_alphanumeric() || c == '_')
            }
        })
        .map_or(0, |(p, c)| p + c.len_utf8())
}

/// Byte offset of the first case-insensitive occurrence of `needle` in `hay` at or after `from`.
///
/// Candidates are found with `memchr2` on the needle's first byte in both
/// cases (vectorised), so a scan of a long text costs about one pass over it.
pub(crate) fn find_ci(hay: &str, needle: &str, from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    let Some(&first) = n.first() else {
        return Some(from.min(h.len()));
    };
    let last_start = h.len().checked_sub(n.len())?;
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let mut i = from;
    while i <= last_start {
        let at = i + memchr::memchr2(lower, upper, &h[i..=last_start])?;
        if h[at..at + n.len()].eq_ignore_ascii_case(n) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Finds `needle` as a whole word (not inside a longer identifier).
pub(crate) fn find_word_ci(hay: &str, needle: &str, mut from: usize) -> Option<usize> {
    let h = hay.as_bytes();
    while let Some(i) = find_ci(hay, needle, from) {
        let before_ok = i == 0 || !is_ident_byte(h[i - 1]);
        let after = i + needle.len();
        let after_ok = after >= h.len() || !is_ident_byte(h[after]);
        if before_ok && after_ok {
            return Some(i);
        }
        from = i + 1;
    }
    None
}

pub(crate) fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The largest char boundary at or below `i` (`str::floor_char_boundary` is
/// newer than the crate's MSRV).
pub(crate) fn floor_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The smallest char boundary at or above `i`.
pub(crate) fn ceil_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// The last `max` bytes of `text` at most, starting on a char boundary.
pub(crate) fn suffix(text: &str, max: usize) -> &str {
    &text[ceil_boundary(text, text.len().saturating_sub(max))..]
}

/// Cuts `text` to at most `max` bytes on a char boundary.
pub(crate) fn prefix(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem(w: &str) -> String {
        let mut buf = [0u8; MAX_WORD];
        stem_into(w, &mut buf).unwrap_or("").to_owned()
    }

    #[test]
    fn stems_meet() {
        assert_eq!(stem("Recommendations"), stem("recommend"));
        assert_eq!(stem("recommended"), stem("recommend"));
        assert_eq!(stem("accounts"), stem("account"));
        assert_eq!(stem("policies"), stem("policy"));
        assert_eq!(stem("closed"), stem("close"));
        assert_eq!(stem("dropped"), stem("drop"));
        assert_eq!(stem("emails"), stem("email"));
        assert_ne!(stem("status"), stem("statu"));
        assert_eq!(stem("12345"), "");
    }

    #[test]
    fn lexicon_classes() {
        let mut buf = [0u8; MAX_WORD];
        let s = stem_into("suggestions", &mut buf).unwrap().to_owned();
        assert_eq!(
            lexicon(&s),
            Some(Lex::Action(ActionClass::Recommend, false))
        );
        let s = stem_into("the", &mut buf).unwrap().to_owned();
        assert_eq!(lexicon(&s), Some(Lex::Stop));
        let s = stem_into("don't", &mut buf).unwrap().to_owned();
        assert_eq!(lexicon(&s), Some(Lex::Negation));
        let s = stem_into("penguin", &mut buf).unwrap().to_owned();
        assert_eq!(lexicon(&s), None);
    }

    #[test]
    fn words_and_parts() {
        let w: Vec<_> = words("Don't email last_login, e-mail x@y.com!")
            .map(|(_, w)| w)
            .collect();
        assert_eq!(
            w,
            ["Don't", "email", "last_login", "e-mail", "x", "y", "com"]
        );
        let p: Vec<_> = ident_parts("sendEmail").collect();
        assert_eq!(p, ["send", "Email"]);
        let p: Vec<_> = ident_parts("gmail.send_message").collect();
        assert_eq!(p, ["gmail", "send", "message"]);
    }

    #[test]
    fn a_slice_is_located_in_its_text_and_an_equal_copy_is_not() {
        let whole = "{\"query\": \"SELECT 1\"}";
        assert_eq!(offset_within(whole, &whole[11..19]), Some(11));
        assert_eq!(offset_within(whole, &whole[..0]), Some(0));
        let copy = String::from("SELECT 1");
        assert_eq!(offset_within(whole, &copy), None);
        assert_eq!(offset_within(&whole[11..], whole), None);
    }

    #[test]
    fn case_insensitive_search() {
        assert_eq!(find_ci("SELECT Last_Login", "last_login", 0), Some(7));
        // Every candidate of the first byte is tried, from `from` on, up to
        // the last place the needle fits.
        assert_eq!(find_ci("lal LAST last", "last", 0), Some(4));
        assert_eq!(find_ci("lal LAST last", "last", 5), Some(9));
        assert_eq!(find_ci("lal LAST last", "last", 10), None);
        assert_eq!(find_ci("last", "last", 40), None);
        assert_eq!(find_ci("las", "last", 0), None);
        assert_eq!(find_ci("é Éte ete", "ete", 0), Some(8));
        assert_eq!(find_ci("abc", "", 1), Some(1));
        assert_eq!(
            find_word_ci("last_login_at last_login", "last_login", 0),
            Some(14)
        );
        assert!(!contains_ci("abc", "abcd"));
        assert_eq!(prefix("héllo", 2), "h");
    }
}

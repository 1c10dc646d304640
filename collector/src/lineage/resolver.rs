//! The lineage resolver: turns the spans of each request into spans that know
//! their intent chain, waiting for intents that have not arrived yet.
//!
//! Agents usually export a parent span *after* its children (a span is
//! exported when it ends), so the span that declares a session's root intent
//! tends to arrive last. The resolver therefore holds a request until every
//! span in it resolves, or until `wait` has passed; then the caller looks the
//! missing intents up in ClickHouse ([`Resolver::missing_intents`] and
//! [`Resolver::supply`]) and [`Resolver::release_expired`] resolves what is
//! left as orphans. A request is always released whole, so the sinks see the
//! same batches on a replay.
//!
//! Everything here is synchronous and allocation-light; the caller owns time.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::bounded::BoundedMap;
use super::facts::{Declaration, SpanFacts, SpanKey};
use super::node::{IntentNode, ParentProblem};

/// Bounds on what the resolver keeps in memory.
#[derive(Debug, Clone, Copy)]
pub struct LineageLimits {
    /// How long a request waits for intents and parent spans that have not arrived.
    pub wait: Duration,
    /// Intents kept; the oldest are forgotten first.
    pub max_intents: usize,
    /// An intent is forgotten this long after it was learnt. A span that
    /// references it later waits and finds it in ClickHouse again.
    pub intent_ttl: Duration,
    /// Spans waiting in held requests; past it the oldest request is released early.
    pub max_pending_spans: usize,
    /// Spans remembered for their children and links; the oldest are forgotten first.
    pub max_indexed_spans: usize,
    /// Infer an intent for traces that declare none (see [`IntentNode::inferred`]).
    pub infer_intent: bool,
}

impl Default for LineageLimits {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(2),
            max_intents: 100_000,
            intent_ttl: Duration::from_secs(15 * 60),
            max_pending_spans: 100_000,
            max_indexed_spans: 200_000,
            infer_intent: true,
        }
    }
}

/// How one span resolved.
#[derive(Debug, Clone)]
pub struct SpanLineage {
    /// The intent in force, with its chain; `None` when the span is unscoped.
    pub intent: Option<Arc<IntentNode>>,
    /// The session the span belongs to (empty when nothing says).
    pub session_id: Arc<str>,
    /// True when this span declares `intent` (for an inferred intent: the
    /// span whose user message became its objective).
    pub declares: bool,
    /// The agent that produced the span: its own agent name, else the
    /// nearest agent ancestor's, else the agent its intent was declared for,
    /// else the service name.
    pub agent: Option<Arc<str>>,
    /// An HTTP client span whose remote child declares a contraction of this
    /// span's intent: the delegation hop to an agent in another process, not
    /// an action of its own.
    pub delegation_hop: bool,
    /// A model call with no captured content (see [`SpanFacts::content_missing`]).
    pub content_missing: bool,
}

/// A request whose spans have all resolved.
#[derive(Debug)]
pub struct Released<P> {
    /// What the caller handed to [`Resolver::ingest`].
    pub payload: P,
    /// One entry per span, in the order of the facts given.
    pub spans: Vec<SpanLineage>,
}

/// What the resolver forgot or cut short, for metrics.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EvictionCounts {
    /// Intents forgotten because of `max_intents`.
    pub intents: u64,
    /// Intents forgotten because of `intent_ttl`.
    pub expired_intents: u64,
    /// Indexed spans forgotten because of `max_indexed_spans`.
    pub spans: u64,
    /// Requests released before `wait` because of `max_pending_spans`.
    pub early_releases: u64,
}

struct Held<P> {
    /// Stable id, for the waiter index.
    id: u64,
    /// What its unresolved spans wait for, as registered in `waiters`.
    waits: Vec<WaitKey>,
    payload: P,
    facts: Vec<SpanFacts>,
    resolved: Vec<Option<SpanLineage>>,
    unresolved: usize,
    deadline: Instant,
}

/// What an unresolved span waits for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum WaitKey {
    /// An intent to be declared (or its chain to complete).
    Intent(Arc<str>),
    /// A parent or linked span to be seen.
    Span(SpanKey),
    /// An HTTP client span waiting to learn whether a remote child declares
    /// a contraction under it (whether it is a delegation hop).
    Hop(SpanKey),
}

/// What the resolver remembers of a span for its children and links.
#[derive(Debug, Clone, Default)]
struct SpanEntry {
    /// Its intent (`None`: it has none).
    intent: Option<Arc<str>>,
    /// Its agent, as resolved.
    agent: Option<Arc<str>>,
    /// A tool call: a chain under it is a sub-agent's graph.
    tool: bool,
    /// An OpenInference span.
    openinference: bool,
}

/// A contraction declared for an agent, found by (trace, agent).
#[derive(Debug, Clone)]
struct AgentDeclaration {
    parent_id: Arc<str>,
    intent_id: Arc<str>,
    declared_at_unix_nano: u64,
}

/// The earliest span of a trace that carries a user message.
#[derive(Debug, Clone)]
struct Candidate {
    start_unix_nano: u64,
    key: SpanKey,
    message: String,
    session: Option<Arc<str>>,
    agent: Option<Arc<str>>,
}

/// What a span inherits from its parent (or a linked span).
#[derive(Debug, Clone, Default)]
struct Inherited {
    intent: Option<Arc<str>>,
    agent: Option<Arc<str>>,
    /// Whether the parent is a tool call or not an OpenInference span (then
    /// a LangChain chain under it is a graph of its own: a sub-agent).
    parent_starts_graph: bool,
}

/// Resolves the lineage of spans, request by request. See the module docs.
pub struct Resolver<P> {
    limits: LineageLimits,
    nodes: HashMap<Arc<str>, Arc<IntentNode>>,
    node_order: VecDeque<(Arc<str>, Instant)>,
    /// Declarations whose parent is not resolved yet, by parent id.
    waiting_for_parent: HashMap<Arc<str>, Vec<Declaration>>,
    /// Every recently seen span's intent and agent.
    span_intents: HashMap<SpanKey, SpanEntry>,
    span_order: VecDeque<SpanKey>,
    held: VecDeque<Held<P>>,
    held_spans: usize,
    next_held_id: u64,
    /// Held requests by what they wait for, so that learning an intent or a
    /// span revisits only the requests it can unblock: a held request is not
    /// re-resolved on every ingest (that would cost held x spans each time).
    waiters: HashMap<WaitKey, Vec<u64>>,
    /// Held requests that something they wait for has arrived for.
    woken: HashSet<u64>,
    evicted: EvictionCounts,
    /// The time of the latest call, stamped on intents as they are learnt.
    now: Instant,
    /// Contractions by the trace they were declared in and the agent they
    /// were declared for: frameworks whose spans do not follow the current
    /// OTel span (OpenInference parents a sub-agent to the framework's run,
    /// beside the user's declaring span) find their delegate's intent here.
    agent_declarations: BoundedMap<([u8; 16], Arc<str>), Vec<AgentDeclaration>>,
    /// Spans under which a remote child declared a contraction, with the
    /// parent intent it contracts from (client spans, and server spans whose
    /// client parent gets marked too).
    hop_marks: BoundedMap<SpanKey, Arc<str>>,
    /// The parent (client) span of each server span seen.
    server_parents: BoundedMap<SpanKey, SpanKey>,
    /// Per trace, where an inferred intent would come from.
    candidates: BoundedMap<[u8; 16], Candidate>,
    /// Per trace, the id of its inferred intent.
    inferred: BoundedMap<[u8; 16], Arc<str>>,
}

impl<P> Resolver<P> {
    /// An empty resolver.
    pub fn new(limits: LineageLimits) -> Self {
        Self {
            limits,
            nodes: HashMap::new(),
            node_order: VecDeque::new(),
            waiting_for_parent: HashMap::new(),
            span_intents: HashMap::new(),
            span_order: VecDeque::new(),
            held: VecDeque::new(),
            held_spans: 0,
            next_held_id: 0,
            waiters: HashMap::new(),
            woken: HashSet::new(),
            evicted: EvictionCounts::default(),
            now: Instant::now(),
            agent_declarations: BoundedMap::new(limits.max_intents),
            hop_marks: BoundedMap::new(limits.max_indexed_spans),
            server_parents: BoundedMap::new(limits.max_indexed_spans),
            candidates: BoundedMap::new(limits.max_intents),
            inferred: BoundedMap::new(limits.max_intents),
        }
    }

    /// Takes one request's span facts; returns every request (this one or
    /// earlier held ones) whose spans are now all resolved, oldest first.
    pub fn ingest(&mut self, payload: P, facts: Vec<SpanFacts>, now: Instant) -> Vec<Released<P>> {
        self.now = now;
        self.forget_expired_intents(now);
        for declaration in facts.iter().filter_map(|f| f.declaration.clone()) {
            self.declare(declaration);
        }
        for f in &facts {
            if let (Some(key), Some(id)) = (f.key, &f.intent_id) {
                self.index_span(key, entry(f, Some(Arc::clone(id)), f.agent.clone()));
            }
            self.note_hops(f);
            if self.limits.infer_intent {
                self.offer_candidate(f);
            }
        }
        let n = facts.len();
        self.held_spans += n;
        let id = self.next_held_id;
        self.next_held_id += 1;
        self.woken.insert(id);
        self.held.push_back(Held {
            id,
            waits: Vec::new(),
            payload,
            facts,
            resolved: vec![None; n],
            unresolved: n,
            deadline: now + self.limits.wait,
        });
        let mut released = self.release_resolved();
        while self.held_spans > self.limits.max_pending_spans && !self.held.is_empty() {
            if let Some(oldest) = self.pop_front_held() {
                self.evicted.early_releases += 1;
                released.push(self.finish_as_orphans(oldest));
            }
        }
        released
    }

    /// Registers intents found elsewhere (ClickHouse) and releases what they complete.
    pub fn supply(&mut self, declarations: Vec<Declaration>) -> Vec<Released<P>> {
        for d in declarations {
            self.declare(d);
        }
        self.release_resolved()
    }

    /// Intent ids that requests past their deadline are still waiting for:
    /// what to look up in ClickHouse before [`Resolver::release_expired`].
    /// Call [`Resolver::missing_spans`] and [`Resolver::supply_spans`] first,
    /// so that intents inherited from spans seen elsewhere are included.
    pub fn missing_intents(&self, now: Instant) -> Vec<Arc<str>> {
        let mut missing = HashSet::new();
        let mut any_expired = false;
        for held in self.held.iter().filter(|h| h.deadline <= now) {
            any_expired = true;
            for (f, r) in held.facts.iter().zip(&held.resolved) {
                if r.is_some() {
                    continue;
                }
                let id = f
                    .intent_id
                    .clone()
                    .or_else(|| self.inherited_intent(f).flatten());
                if let Some(id) = id.filter(|id| !self.nodes.contains_key(id)) {
                    missing.insert(id);
                }
            }
        }
        // A declaration that waits for its parent makes the parent missing too.
        for parent in self.waiting_for_parent.keys() {
            if any_expired && !self.nodes.contains_key(parent) {
                missing.insert(Arc::clone(parent));
            }
        }
        missing.into_iter().collect()
    }

    /// Parent and linked spans that spans of requests past their deadline
    /// inherit from but this collector has not seen: another collector may
    /// have written them to ClickHouse (a span link usually crosses traces,
    /// and so load balancers).
    pub fn missing_spans(&self, now: Instant) -> Vec<SpanKey> {
        // Spans held here are not missing: they wait themselves.
        let held_keys: HashSet<SpanKey> = self
            .held
            .iter()
            .flat_map(|h| h.facts.iter().filter_map(|f| f.key))
            .collect();
        let mut missing = HashSet::new();
        for held in self.held.iter().filter(|h| h.deadline <= now) {
            for (f, r) in held.facts.iter().zip(&held.resolved) {
                if r.is_some() || f.intent_id.is_some() {
                    continue;
                }
                for key in f.parent.iter().chain(&f.links) {
                    if !self.span_intents.contains_key(key) && !held_keys.contains(key) {
                        missing.insert(*key);
                    }
                }
            }
        }
        missing.into_iter().collect()
    }

    /// Records the intents of spans found elsewhere (`None`: the span had none).
    pub fn supply_spans(&mut self, spans: Vec<(SpanKey, Option<Arc<str>>)>) {
        for (key, intent) in spans {
            self.index_span(
                key,
                SpanEntry {
                    intent,
                    ..SpanEntry::default()
                },
            );
        }
    }

    /// Releases every request past its deadline, resolving what is still
    /// missing as orphans (partial chains, or no intent at all).
    pub fn release_expired(&mut self, now: Instant) -> Vec<Released<P>> {
        let mut released = self.release_resolved();
        while self.held.front().is_some_and(|h| h.deadline <= now) {
            if let Some(held) = self.pop_front_held() {
                released.push(self.finish_as_orphans(held));
            }
        }
        released
    }

    /// Releases everything held, as at shutdown or at the end of offline input.
    pub fn release_all(&mut self) -> Vec<Released<P>> {
        let mut released = self.release_resolved();
        while let Some(held) = self.pop_front_held() {
            released.push(self.finish_as_orphans(held));
        }
        released
    }

    /// The earliest deadline among held requests, for the caller's timer.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.held.iter().map(|h| h.deadline).min()
    }

    /// Spans currently held.
    pub fn held_spans(&self) -> usize {
        self.held_spans
    }

    /// Intents currently known.
    pub fn known_intents(&self) -> usize {
        self.nodes.len()
    }

    /// Evictions so far.
    pub fn evictions(&self) -> EvictionCounts {
        self.evicted
    }

    /// A known intent by id.
    pub fn intent(&self, id: &str) -> Option<&Arc<IntentNode>> {
        self.nodes.get(id)
    }

    fn declare(&mut self, declaration: Declaration) {
        if let (Some(parent_id), Some(agent), Some((trace, _))) = (
            &declaration.parent_id,
            &declaration.agent,
            declaration.declared_by,
        ) {
            let d = AgentDeclaration {
                parent_id: Arc::clone(parent_id),
                intent_id: Arc::clone(&declaration.intent_id),
                declared_at_unix_nano: declaration.declared_at_unix_nano,
            };
            let key = (trace, Arc::clone(agent));
            match self.agent_declarations.get_mut(&key) {
                Some(list) => {
                    if !list.iter().any(|x| x.intent_id == d.intent_id) {
                        list.push(d);
                    }
                }
                None => {
                    self.agent_declarations.insert(key, vec![d]);
                }
            }
        }
        if let Some(existing) = self.nodes.get(&declaration.intent_id) {
            // Re-declaring a known intent is a no-op, except that a real
            // declaration replaces the stand-in made for an undeclared intent.
            if existing.declaration.is_some() {
                return;
            }
        }
        match declaration.parent_id.clone() {
            None => self.add_node(IntentNode::declared(declaration, None, false)),
            Some(parent_id) => match self.nodes.get(&parent_id) {
                Some(parent) => {
                    let parent = Arc::clone(parent);
                    self.add_node(IntentNode::declared(declaration, Some(parent), false));
                }
                _ => self
                    .waiting_for_parent
                    .entry(parent_id)
                    .or_default()
                    .push(declaration),
            },
        }
    }

    /// Adds a node and, transitively, every declaration that waited for it.
    fn add_node(&mut self, node: IntentNode) {
        let mut work = vec![node];
        while let Some(node) = work.pop() {
            let node = Arc::new(node);
            let id = Arc::clone(&node.id);
            if let Some(children) = self.waiting_for_parent.remove(&id) {
                for child in children {
                    work.push(IntentNode::declared(child, Some(Arc::clone(&node)), false));
                }
            }
            self.wake(&WaitKey::Intent(Arc::clone(&id)));
            if self.nodes.insert(Arc::clone(&id), node).is_none() {
                self.node_order.push_back((id, self.now));
            }
        }
        while self.nodes.len() > self.limits.max_intents {
            let Some((oldest, _)) = self.node_order.pop_front() else {
                break;
            };
            self.nodes.remove(&oldest);
            self.evicted.intents += 1;
        }
    }

    fn forget_expired_intents(&mut self, now: Instant) {
        while let Some((id, learnt)) = self.node_order.front() {
            if now.saturating_duration_since(*learnt) < self.limits.intent_ttl {
                break;
            }
            self.nodes.remove(id);
            self.node_order.pop_front();
            self.evicted.expired_intents += 1;
        }
    }

    fn index_span(&mut self, key: SpanKey, entry: SpanEntry) {
        if self.span_intents.insert(key, entry).is_none() {
            self.span_order.push_back(key);
            self.wake(&WaitKey::Span(key));
        }
        while self.span_intents.len() > self.limits.max_indexed_spans {
            let Some(oldest) = self.span_order.pop_front() else {
                break;
            };
            self.span_intents.remove(&oldest);
            self.evicted.spans += 1;
        }
    }

    /// Resolves what can be resolved in the held requests that something
    /// arrived for (and the new one), until nothing more wakes, and releases
    /// the complete ones, oldest first.
    fn release_resolved(&mut self) -> Vec<Released<P>> {
        let mut held = std::mem::take(&mut self.held);
        loop {
            let woken = std::mem::take(&mut self.woken);
            let mut any = false;
            for h in held
                .iter_mut()
                .filter(|h| h.unresolved > 0 && woken.contains(&h.id))
            {
                any = true;
                self.unregister(h);
                self.resolve_held(h, true);
                if h.unresolved > 0 {
                    self.register(h);
                }
            }
            if !any {
                break;
            }
        }
        // Ids of requests already gone are of no further use.
        self.woken.clear();
        let mut released = Vec::new();
        for h in held {
            if h.unresolved == 0 {
                self.held_spans -= h.facts.len();
                released.push(Released {
                    payload: h.payload,
                    spans: h.resolved.into_iter().flatten().collect(),
                });
            } else {
                self.held.push_back(h);
            }
        }
        released
    }

    /// Marks the requests waiting for `key` as woken.
    fn wake(&mut self, key: &WaitKey) {
        if let Some(ids) = self.waiters.remove(key) {
            self.woken.extend(ids);
        }
    }

    /// Records what the unresolved spans of `h` wait for.
    fn register(&mut self, h: &mut Held<P>) {
        let mut keys = HashSet::new();
        for (f, r) in h.facts.iter().zip(&h.resolved) {
            if r.is_none() {
                self.waits_of(f, &mut keys);
            }
        }
        for key in &keys {
            self.waiters.entry(key.clone()).or_default().push(h.id);
        }
        h.waits = keys.into_iter().collect();
    }

    fn unregister(&mut self, h: &mut Held<P>) {
        for key in h.waits.drain(..) {
            if let Some(ids) = self.waiters.get_mut(&key) {
                ids.retain(|id| *id != h.id);
                if ids.is_empty() {
                    self.waiters.remove(&key);
                }
            }
        }
    }

    /// What an unresolved span waits for: its intent's declaration, or the
    /// parent and linked spans it would inherit from; an HTTP client span
    /// also for the remote child that would make it a delegation hop.
    fn waits_of(&self, f: &SpanFacts, keys: &mut HashSet<WaitKey>) {
        let id = match &f.intent_id {
            Some(id) => Some(Arc::clone(id)),
            None => self.inherited_intent(f).flatten(),
        };
        match id {
            Some(id) => {
                keys.insert(WaitKey::Intent(id));
            }
            None => {
                for key in f.parent.iter().chain(&f.links) {
                    if !self.span_intents.contains_key(key) {
                        keys.insert(WaitKey::Span(*key));
                    }
                }
            }
        }
        if let (true, Some(key)) = (f.http_client, f.key)
            && self.hop_marks.get(&key).is_none()
        {
            keys.insert(WaitKey::Hop(key));
        }
    }

    fn pop_front_held(&mut self) -> Option<Held<P>> {
        let mut h = self.held.pop_front()?;
        self.unregister(&mut h);
        Some(h)
    }

    /// Resolves spans of one request until nothing more resolves (children may
    /// precede their parents within a request). `patient`: HTTP client spans
    /// wait for a remote child that would make them a delegation hop.
    fn resolve_held(&mut self, h: &mut Held<P>, patient: bool) {
        loop {
            let mut progressed = false;
            for i in 0..h.facts.len() {
                if h.resolved[i].is_some() {
                    continue;
                }
                if let Some(resolution) = self.try_resolve(&h.facts[i], patient) {
                    let node = self.node_for(&h.facts[i], resolution.intent_id.clone(), false);
                    h.resolved[i] = Some(self.settle(&h.facts[i], node, &resolution));
                    h.unresolved -= 1;
                    progressed = true;
                }
            }
            if !progressed || h.unresolved == 0 {
                return;
            }
        }
    }

    /// What one span resolves to, or `None` while what it depends on is missing.
    fn try_resolve(&self, f: &SpanFacts, patient: bool) -> Option<Resolution> {
        let inherited = match &f.intent_id {
            // Stamped: only the agent is inherited, from a parent seen or not.
            Some(_) => self.inherited(f).unwrap_or_default(),
            None => self.inherited(f)?,
        };
        let own_agent = own_agent(f, &inherited);
        let mut intent_id = f.intent_id.clone().or_else(|| inherited.intent.clone());
        if f.intent_id.is_none()
            && let (Some(agent), Some(parent), Some((trace, _))) = (&own_agent, &intent_id, f.key)
            && let Some(child) = self.declared_for(trace, agent, parent, f.start_unix_nano)
        {
            intent_id = Some(child);
        }
        if let Some(id) = &intent_id {
            self.complete_node(id)?;
        }
        let delegation_hop = match (f.http_client, &intent_id, f.key) {
            (true, Some(id), Some(key)) => match self.hop_marks.get(&key) {
                Some(parent) => parent == id,
                None if patient => return None,
                None => false,
            },
            _ => false,
        };
        Some(Resolution {
            intent_id,
            own_agent,
            inherited_agent: inherited.agent,
            delegation_hop,
        })
    }

    /// What a span inherits from its parent, else from a linked span. `None`
    /// while they have not been seen.
    fn inherited(&self, f: &SpanFacts) -> Option<Inherited> {
        let mut waiting = false;
        let mut out = Inherited {
            parent_starts_graph: true,
            ..Inherited::default()
        };
        if let Some(parent) = &f.parent {
            match self.span_intents.get(parent) {
                Some(e) => {
                    out.agent = e.agent.clone();
                    out.parent_starts_graph = e.tool || !e.openinference;
                    if e.intent.is_some() {
                        out.intent = e.intent.clone();
                        return Some(out);
                    }
                }
                None => waiting = true,
            }
        }
        for link in &f.links {
            match self.span_intents.get(link) {
                Some(e) if e.intent.is_some() => {
                    out.intent = e.intent.clone();
                    if out.agent.is_none() {
                        out.agent = e.agent.clone();
                    }
                    return Some(out);
                }
                Some(_) => {}
                None => waiting = true,
            }
        }
        if waiting { None } else { Some(out) }
    }

    /// The intent a span without `reshimu.intent.id` inherits: its parent's,
    /// else a linked span's. `None` while they have not been seen;
    /// `Some(None)` when they carry none.
    fn inherited_intent(&self, f: &SpanFacts) -> Option<Option<Arc<str>>> {
        self.inherited(f).map(|i| i.intent)
    }

    /// The contraction declared in `trace` for `agent` from `parent`: the
    /// latest declared before the span started (an agent can be delegated to
    /// more than once in a trace).
    fn declared_for(
        &self,
        trace: [u8; 16],
        agent: &Arc<str>,
        parent: &Arc<str>,
        start_unix_nano: u64,
    ) -> Option<Arc<str>> {
        let list = self.agent_declarations.get(&(trace, Arc::clone(agent)))?;
        let before = list
            .iter()
            .filter(|d| &d.parent_id == parent && d.declared_at_unix_nano <= start_unix_nano)
            .max_by_key(|d| d.declared_at_unix_nano);
        // Clocks of different processes disagree: with none declared before
        // the span, the earliest declared after it is the best guess.
        before
            .or_else(|| {
                list.iter()
                    .filter(|d| &d.parent_id == parent)
                    .min_by_key(|d| d.declared_at_unix_nano)
            })
            .map(|d| Arc::clone(&d.intent_id))
    }

    /// A known node: a declaration whose ancestors are all known, or an
    /// orphan settled after an earlier wait (so the same intent is not waited
    /// for twice).
    fn complete_node(&self, id: &str) -> Option<Arc<IntentNode>> {
        self.nodes.get(id).cloned()
    }

    /// The node a resolved span serves: its intent's (an orphan stand-in when
    /// `orphan`), or, for a span that resolves to none, its trace's inferred
    /// intent when inference is on and the trace has a user message.
    fn node_for(
        &mut self,
        f: &SpanFacts,
        intent_id: Option<Arc<str>>,
        orphan: bool,
    ) -> Option<Arc<IntentNode>> {
        match intent_id {
            Some(id) if orphan => Some(self.orphan_node(&id)),
            Some(id) => self.complete_node(&id),
            None if self.limits.infer_intent => self.inferred_node(f),
            None => None,
        }
    }

    /// The lineage of a resolved span, remembered for its children and links.
    fn settle(
        &mut self,
        f: &SpanFacts,
        node: Option<Arc<IntentNode>>,
        resolution: &Resolution,
    ) -> SpanLineage {
        let lineage = self.lineage(f, node, resolution);
        if let Some(key) = f.key {
            let intent = lineage.intent.as_ref().map(|n| Arc::clone(&n.id));
            self.index_span(key, entry(f, intent, lineage.agent.clone()));
        }
        lineage
    }

    fn lineage(
        &self,
        f: &SpanFacts,
        node: Option<Arc<IntentNode>>,
        resolution: &Resolution,
    ) -> SpanLineage {
        let declares = match (&f.declaration, &node) {
            (Some(d), Some(n)) => d.intent_id == n.id,
            (None, Some(n)) if n.inferred => {
                n.declaration.as_ref().and_then(|d| d.declared_by) == f.key
            }
            _ => false,
        };
        // A Reshimu session on the span wins; then the session of the intent
        // (all spans under one root intent are one session, whatever
        // conversation ids the frameworks set per agent run); then the
        // span's own conversation or session id.
        let session_id = f
            .session_id
            .clone()
            .or_else(|| node.as_ref().and_then(|n| n.declared_session().cloned()))
            .or_else(|| node.as_ref().map(|n| Arc::clone(&n.root_id)))
            .or_else(|| f.fallback_session.clone())
            .unwrap_or_else(|| Arc::from(""));
        let agent = resolution
            .own_agent
            .clone()
            .or_else(|| resolution.inherited_agent.clone())
            .or_else(|| {
                node.as_ref()
                    .and_then(|n| n.declaration.as_ref())
                    .and_then(|d| d.agent.clone())
            })
            .or_else(|| f.service.clone());
        SpanLineage {
            intent: node,
            session_id,
            declares,
            agent,
            delegation_hop: resolution.delegation_hop,
            content_missing: f.content_missing,
        }
    }

    /// Resolves the rest of a request with whatever is known: declarations
    /// whose parent never came become orphan roots, references to intents
    /// nobody declared get a stand-in node, spans whose parent span never
    /// came fall back to their links, then to unscoped (or the trace's
    /// inferred intent), and HTTP client spans whose remote child never came
    /// are no delegation hop.
    fn finish_as_orphans(&mut self, mut h: Held<P>) -> Released<P> {
        self.resolve_held(&mut h, false);
        for i in 0..h.facts.len() {
            if h.resolved[i].is_some() {
                continue;
            }
            let f = &h.facts[i];
            let intent_id = f.intent_id.clone().or_else(|| {
                f.parent
                    .iter()
                    .chain(&f.links)
                    .find_map(|k| self.span_intents.get(k).and_then(|e| e.intent.clone()))
            });
            let inherited = self.inherited(f).unwrap_or_else(|| Inherited {
                agent: f
                    .parent
                    .and_then(|p| self.span_intents.get(&p))
                    .and_then(|e| e.agent.clone()),
                parent_starts_graph: f.parent.is_none(),
                ..Inherited::default()
            });
            let resolution = Resolution {
                intent_id: intent_id.clone(),
                own_agent: own_agent(f, &inherited),
                inherited_agent: inherited.agent,
                delegation_hop: false,
            };
            // A span whose parent never came may well serve a declared
            // intent: it is not given the trace's inferred one.
            let parent_missing = h.facts[i]
                .parent
                .is_some_and(|p| !self.span_intents.contains_key(&p));
            let node = match intent_id {
                None if parent_missing => None,
                id => self.node_for(&h.facts[i], id, true),
            };
            h.resolved[i] = Some(self.settle(&h.facts[i], node, &resolution));
            h.unresolved -= 1;
        }
        self.held_spans -= h.facts.len();
        Released {
            payload: h.payload,
            spans: h.resolved.into_iter().flatten().collect(),
        }
    }

    /// Records where remote children declared contractions: under the
    /// declaring span's parent and, when that is a server span, under its
    /// client parent (the hop). Either may arrive first.
    fn note_hops(&mut self, f: &SpanFacts) {
        if let (Some(d), Some(parent)) = (&f.declaration, f.parent)
            && let Some(contracted) = &d.parent_id
        {
            self.mark_hop(parent, Arc::clone(contracted));
        }
        if let (true, Some(key), Some(client)) = (f.server, f.key, f.parent) {
            self.server_parents.insert(key, client);
            if let Some(contracted) = self.hop_marks.get(&key).cloned() {
                self.mark_hop(client, contracted);
            }
        }
    }

    fn mark_hop(&mut self, span: SpanKey, contracted: Arc<str>) {
        if let Some(client) = self.server_parents.get(&span).copied() {
            self.hop_marks.insert(client, Arc::clone(&contracted));
            self.wake(&WaitKey::Hop(client));
        }
        self.hop_marks.insert(span, contracted);
        self.wake(&WaitKey::Hop(span));
    }

    /// Keeps the earliest-started span of each trace that carries a user
    /// message: the root agent's request, where an inferred intent comes from.
    fn offer_candidate(&mut self, f: &SpanFacts) {
        let (Some(message), Some(key)) = (&f.user_message, f.key) else {
            return;
        };
        let trace = key.0;
        if self.inferred.get(&trace).is_some() {
            return;
        }
        if self
            .candidates
            .get(&trace)
            .is_some_and(|existing| existing.start_unix_nano <= f.start_unix_nano)
        {
            return;
        }
        self.candidates.insert(
            trace,
            Candidate {
                start_unix_nano: f.start_unix_nano,
                key,
                message: message.clone(),
                session: f.session_id.clone().or_else(|| f.fallback_session.clone()),
                agent: f.agent.clone(),
            },
        );
    }

    /// The inferred intent of a span's trace, made on first use from the
    /// trace's candidate; `None` when the trace has no user message.
    fn inferred_node(&mut self, f: &SpanFacts) -> Option<Arc<IntentNode>> {
        let trace = f.key?.0;
        if let Some(node) = self.inferred.get(&trace).and_then(|id| self.nodes.get(id)) {
            return Some(Arc::clone(node));
        }
        let candidate = self.candidates.get(&trace)?.clone();
        let id: Arc<str> = Arc::from(format!("inferred-{}", hex::encode(trace)));
        let declaration = Declaration {
            intent_id: Arc::clone(&id),
            parent_id: None,
            spec: reshimu_intent::spec::IntentSpec {
                objective: candidate.message,
                scope: String::new(),
                constraints: String::new(),
                guards: Vec::new(),
            },
            claimed_digest: None,
            session_id: candidate.session,
            agent: candidate.agent,
            declared_by: Some(candidate.key),
            declared_at_unix_nano: candidate.start_unix_nano,
        };
        self.add_node(IntentNode::inferred(declaration));
        self.inferred.insert(trace, Arc::clone(&id));
        self.nodes.get(&id).cloned()
    }

    /// Whether `id`'s parent link (to `parent`) can never resolve: a self
    /// parent, or parents (declared, still waiting) that lead back to `id`.
    fn parent_problem(&self, id: &Arc<str>, parent: &Arc<str>) -> Option<ParentProblem> {
        if parent == id {
            return Some(ParentProblem::SelfParent);
        }
        let mut path = vec![Arc::clone(parent)];
        let mut current = Arc::clone(parent);
        // Bounded by the waiting declarations: each step visits a new one.
        for _ in 0..=self.waiting_for_parent.len() {
            let next = self.waiting_for_parent.iter().find_map(|(p, decls)| {
                decls
                    .iter()
                    .any(|d| d.intent_id == current)
                    .then(|| Arc::clone(p))
            })?;
            if &next == id {
                return Some(ParentProblem::Cycle(path));
            }
            if path.contains(&next) {
                return None;
            }
            path.push(Arc::clone(&next));
            current = next;
        }
        None
    }

    /// The best node for an intent whose chain is incomplete, remembered so
    /// later spans of the same intent do not wait again.
    fn orphan_node(&mut self, id: &Arc<str>) -> Arc<IntentNode> {
        if let Some(node) = self.nodes.get(id) {
            return Arc::clone(node);
        }
        // Declared, but its parent never arrived: root of a partial chain.
        let waiting = self.waiting_for_parent.iter().find_map(|(parent, decls)| {
            decls
                .iter()
                .position(|d| &d.intent_id == id)
                .map(|pos| (Arc::clone(parent), pos))
        });
        let node = match waiting {
            Some((parent, pos)) => {
                let declaration = match self.waiting_for_parent.get_mut(&parent) {
                    Some(decls) => decls.swap_remove(pos),
                    None => return Arc::new(IntentNode::undeclared(Arc::clone(id))),
                };
                if self
                    .waiting_for_parent
                    .get(&parent)
                    .is_some_and(Vec::is_empty)
                {
                    self.waiting_for_parent.remove(&parent);
                }
                let problem = self.parent_problem(id, &parent);
                let mut node = IntentNode::declared(declaration, None, true);
                node.parent_problem = problem;
                node
            }
            None => IntentNode::undeclared(Arc::clone(id)),
        };
        self.add_node(node);
        self.nodes
            .get(id)
            .cloned()
            .unwrap_or_else(|| Arc::new(IntentNode::undeclared(Arc::clone(id))))
    }
}

/// How a span resolved, before its node is looked up.
#[derive(Debug, Clone)]
struct Resolution {
    intent_id: Option<Arc<str>>,
    own_agent: Option<Arc<str>>,
    inherited_agent: Option<Arc<str>>,
    delegation_hop: bool,
}

/// The agent a span is, by itself: its agent attributes, else, for a
/// LangChain chain that starts a graph (at the top, or under a tool call),
/// the graph's name.
fn own_agent(f: &SpanFacts, inherited: &Inherited) -> Option<Arc<str>> {
    f.agent.clone().or_else(|| {
        f.graph_name
            .clone()
            .filter(|_| f.parent.is_none() || inherited.parent_starts_graph)
    })
}

fn entry(f: &SpanFacts, intent: Option<Arc<str>>, agent: Option<Arc<str>>) -> SpanEntry {
    SpanEntry {
        intent,
        agent,
        tool: f.tool,
        openinference: f.openinference,
    }
}

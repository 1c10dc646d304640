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
}

impl Default for LineageLimits {
    fn default() -> Self {
        Self {
            wait: Duration::from_secs(2),
            max_intents: 100_000,
            intent_ttl: Duration::from_secs(15 * 60),
            max_pending_spans: 100_000,
            max_indexed_spans: 200_000,
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
    /// True when this span declares `intent`.
    pub declares: bool,
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
}

/// Resolves the lineage of spans, request by request. See the module docs.
pub struct Resolver<P> {
    limits: LineageLimits,
    nodes: HashMap<Arc<str>, Arc<IntentNode>>,
    node_order: VecDeque<(Arc<str>, Instant)>,
    /// Declarations whose parent is not resolved yet, by parent id.
    waiting_for_parent: HashMap<Arc<str>, Vec<Declaration>>,
    /// The intent of every recently seen span (`None`: it has none).
    span_intents: HashMap<SpanKey, Option<Arc<str>>>,
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
                self.index_span(key, Some(Arc::clone(id)));
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
            self.index_span(key, intent);
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

    fn index_span(&mut self, key: SpanKey, intent: Option<Arc<str>>) {
        if self.span_intents.insert(key, intent).is_none() {
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
                self.resolve_held(h);
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
    /// parent and linked spans it would inherit from.
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
    }

    fn pop_front_held(&mut self) -> Option<Held<P>> {
        let mut h = self.held.pop_front()?;
        self.unregister(&mut h);
        Some(h)
    }

    /// Resolves spans of one request until nothing more resolves (children may
    /// precede their parents within a request).
    fn resolve_held(&mut self, h: &mut Held<P>) {
        loop {
            let mut progressed = false;
            for i in 0..h.facts.len() {
                if h.resolved[i].is_some() {
                    continue;
                }
                if let Some(lineage) = self.try_resolve(&h.facts[i]) {
                    if let (Some(key), None) = (h.facts[i].key, &h.facts[i].intent_id) {
                        self.index_span(key, lineage.intent.as_ref().map(|n| Arc::clone(&n.id)));
                    }
                    h.resolved[i] = Some(lineage);
                    h.unresolved -= 1;
                    progressed = true;
                }
            }
            if !progressed || h.unresolved == 0 {
                return;
            }
        }
    }

    /// The lineage of one span, or `None` while what it depends on is missing.
    fn try_resolve(&self, f: &SpanFacts) -> Option<SpanLineage> {
        let intent_id = match &f.intent_id {
            Some(id) => Some(Arc::clone(id)),
            None => self.inherited_intent(f)?,
        };
        let node = match intent_id {
            None => None,
            Some(id) => Some(self.complete_node(&id)?),
        };
        Some(self.lineage(f, node))
    }

    /// The intent a span without `reshimu.intent.id` inherits: its parent's,
    /// else a linked span's. `None` while they have not been seen;
    /// `Some(None)` when they carry none.
    fn inherited_intent(&self, f: &SpanFacts) -> Option<Option<Arc<str>>> {
        let mut waiting = false;
        if let Some(parent) = &f.parent {
            match self.span_intents.get(parent) {
                Some(Some(id)) => return Some(Some(Arc::clone(id))),
                Some(None) => {}
                None => waiting = true,
            }
        }
        for link in &f.links {
            match self.span_intents.get(link) {
                Some(Some(id)) => return Some(Some(Arc::clone(id))),
                Some(None) => {}
                None => waiting = true,
            }
        }
        if waiting { None } else { Some(None) }
    }

    /// A known node: a declaration whose ancestors are all known, or an
    /// orphan settled after an earlier wait (so the same intent is not waited
    /// for twice).
    fn complete_node(&self, id: &str) -> Option<Arc<IntentNode>> {
        self.nodes.get(id).cloned()
    }

    fn lineage(&self, f: &SpanFacts, node: Option<Arc<IntentNode>>) -> SpanLineage {
        let declares = match (&f.declaration, &node) {
            (Some(d), Some(n)) => d.intent_id == n.id,
            _ => false,
        };
        let session_id = f
            .session_id
            .clone()
            .or_else(|| node.as_ref().and_then(|n| n.declared_session().cloned()))
            .or_else(|| node.as_ref().map(|n| Arc::clone(&n.root_id)))
            .unwrap_or_else(|| Arc::from(""));
        SpanLineage {
            intent: node,
            session_id,
            declares,
        }
    }

    /// Resolves the rest of a request with whatever is known: declarations
    /// whose parent never came become orphan roots, references to intents
    /// nobody declared get a stand-in node, and spans whose parent span never
    /// came fall back to their links, then to unscoped.
    fn finish_as_orphans(&mut self, mut h: Held<P>) -> Released<P> {
        self.resolve_held(&mut h);
        for i in 0..h.facts.len() {
            if h.resolved[i].is_some() {
                continue;
            }
            let f = &h.facts[i];
            let intent_id = f.intent_id.clone().or_else(|| {
                f.parent
                    .iter()
                    .chain(&f.links)
                    .find_map(|k| self.span_intents.get(k).cloned().flatten())
            });
            let node = intent_id.map(|id| self.orphan_node(&id));
            let lineage = self.lineage(&h.facts[i], node);
            if let (Some(key), None) = (h.facts[i].key, &h.facts[i].intent_id) {
                self.index_span(key, lineage.intent.as_ref().map(|n| Arc::clone(&n.id)));
            }
            h.resolved[i] = Some(lineage);
            h.unresolved -= 1;
        }
        self.held_spans -= h.facts.len();
        Released {
            payload: h.payload,
            spans: h.resolved.into_iter().flatten().collect(),
        }
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

//! Sessions: the root intent, its contractions, and the guard that checks
//! actions against them before they run.

use std::future::Future;
use std::sync::Arc;

use opentelemetry::context::{ContextGuard, FutureExt, WithContext};
use opentelemetry::global::{self, BoxedTracer};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use reshimu_intent::attr::{self, foreign};
use reshimu_intent::score::{DefaultScorer, IntentChain, PreparedIntent, Score, Scorer, Verdict};
use reshimu_intent::span::SpanView;
use reshimu_intent::{AttrValue, IntentSpec};
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::error::Error;
use crate::handoff::{Handoff, HandoffIntent};
use crate::record::{Outcome, guard_event};
use crate::scope::{IntentIds, Scope, Stamp};

/// Name of the span that declares an intent the moment it is created.
///
/// Spans are exported when they end, so the root or delegation span that
/// carries the bullets reaches the collector last; this short span, ended at
/// once, carries the same declaration in the first export batch.
pub const DECLARE_SPAN_NAME: &str = "reshimu.intent.declare";

/// The instrumentation scope name of the spans the SDK starts.
pub const TRACER_NAME: &str = "reshimu-exporter";

/// What happens when a check finds a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Record a `reshimu.guard` event and let the action run.
    #[default]
    Observe,
    /// Refuse violating actions and thin or redefining contractions with an error.
    Enforce,
}

impl Mode {
    /// `observe` or `enforce`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Mode::Observe => "observe",
            Mode::Enforce => "enforce",
        }
    }
}

/// What a parent hands to a delegate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contraction {
    /// A full child spec: the delegate's own objective, scope, constraints and guards.
    Spec(IntentSpec),
    /// Only a task text (`reshimu.contraction`); it becomes the child's whole
    /// objective, so whatever it does not repeat of the root is lost.
    Task(String),
}

impl From<IntentSpec> for Contraction {
    fn from(spec: IntentSpec) -> Self {
        Contraction::Spec(spec)
    }
}

impl From<&str> for Contraction {
    fn from(task: &str) -> Self {
        Contraction::Task(task.to_owned())
    }
}

impl From<String> for Contraction {
    fn from(task: String) -> Self {
        Contraction::Task(task)
    }
}

/// One level of the lineage: an intent id and its prepared spec.
#[derive(Debug, Clone)]
struct Level {
    id: Arc<str>,
    intent: Arc<PreparedIntent>,
}

/// What every session of one lineage shares.
struct Shared {
    tracer: BoxedTracer,
    scorer: Arc<dyn Scorer>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("scorer", &self.scorer.version())
            .finish_non_exhaustive()
    }
}

/// Where a session comes from.
#[derive(Debug)]
enum Origin {
    Root(IntentSpec),
    Resume(Handoff),
}

/// Configures a [`Session`]; see [`Session::builder`] and [`Session::resume`].
#[must_use]
pub struct SessionBuilder {
    origin: Origin,
    name: Option<String>,
    workflow: bool,
    session_id: Option<String>,
    mode: Option<Mode>,
    parent: Option<Context>,
    tracer: Option<BoxedTracer>,
    scorer: Option<Arc<dyn Scorer>>,
}

impl std::fmt::Debug for SessionBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionBuilder")
            .field("origin", &self.origin)
            .field("name", &self.name)
            .field("workflow", &self.workflow)
            .field("session_id", &self.session_id)
            .field("mode", &self.mode)
            .field("scorer", &self.scorer.as_ref().map(|s| s.version()))
            .finish_non_exhaustive()
    }
}

impl SessionBuilder {
    fn new(origin: Origin) -> SessionBuilder {
        SessionBuilder {
            origin,
            name: None,
            workflow: false,
            session_id: None,
            mode: None,
            parent: None,
            tracer: None,
            scorer: None,
        }
    }

    /// The agent running this session: the span is `invoke_agent <name>` with
    /// `gen_ai.agent.name`.
    pub fn agent(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.workflow = false;
        self
    }

    /// A multi-agent workflow: the span is `invoke_workflow <name>`.
    pub fn workflow(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.workflow = true;
        self
    }

    /// The session id (default: a fresh random id). Ignored when resuming:
    /// the handoff names the session.
    pub fn session_id(mut self, id: impl Into<String>) -> Self {
        self.session_id = Some(id.into());
        self
    }

    /// `observe` (default) or `enforce`. When resuming, the default is the
    /// parent's mode.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.mode = Some(mode);
        self
    }

    /// The parent context (default: the current one). Pass the context
    /// extracted from the request when resuming in another process.
    pub fn parent(mut self, cx: Context) -> Self {
        self.parent = Some(cx);
        self
    }

    /// The tracer for the session's spans (default: the global provider's).
    pub fn tracer<T>(mut self, tracer: T) -> Self
    where
        T: Tracer + Send + Sync + 'static,
        T::Span: Send + Sync + 'static,
    {
        self.tracer = Some(BoxedTracer::new(Box::new(tracer)));
        self
    }

    /// Uses a tracer of `provider` (instrumentation scope [`TRACER_NAME`]).
    pub fn tracer_provider<P>(self, provider: &P) -> Self
    where
        P: TracerProvider,
        P::Tracer: Send + Sync + 'static,
        <P::Tracer as Tracer>::Span: Send + Sync + 'static,
    {
        self.tracer(provider.tracer(TRACER_NAME))
    }

    /// The scorer (default: [`DefaultScorer`], the collector's default).
    pub fn scorer(mut self, scorer: Arc<dyn Scorer>) -> Self {
        self.scorer = Some(scorer);
        self
    }

    /// Opens the session's span. A root session declares its intent (on the
    /// span and on an immediate [`DECLARE_SPAN_NAME`] span); a resumed one
    /// continues the lineage of its handoff.
    pub fn start(self) -> Result<Session, Error> {
        let shared = Arc::new(Shared {
            tracer: self.tracer.unwrap_or_else(|| global::tracer(TRACER_NAME)),
            scorer: self
                .scorer
                .unwrap_or_else(|| Arc::new(DefaultScorer::default())),
        });
        let parent = self.parent.unwrap_or_else(Context::current);
        let operation = if self.workflow {
            "invoke_workflow"
        } else {
            "invoke_agent"
        };
        let span_name = match &self.name {
            Some(n) => format!("{operation} {n}"),
            None => operation.to_owned(),
        };
        let agent: Option<Arc<str>> = self.name.as_deref().map(Arc::from);

        match self.origin {
            Origin::Root(spec) => {
                let intent = Arc::new(PreparedIntent::new(spec)?);
                let id = new_id();
                let session_id: Arc<str> = match self.session_id {
                    Some(s) if !s.trim().is_empty() => Arc::from(s.trim()),
                    _ => new_id(),
                };
                let ids = IntentIds {
                    intent_id: id.clone(),
                    root_id: id.clone(),
                    session_id,
                    depth: 0,
                };
                let declaration = Declaration {
                    spec: Some(intent.spec()),
                    task: None,
                    parent_id: None,
                };
                let session = Session::open(
                    &parent,
                    span_name,
                    operation,
                    agent,
                    ids,
                    vec![Level {
                        id,
                        intent: intent.clone(),
                    }],
                    self.mode.unwrap_or_default(),
                    shared,
                    Some(&declaration),
                );
                Ok(session)
            }
            Origin::Resume(handoff) => {
                let mode = self.mode.unwrap_or(handoff.mode);
                let (ids, levels) = handoff.into_levels()?;
                let levels = levels
                    .into_iter()
                    .map(|(id, intent)| Level { id, intent })
                    .collect();
                Ok(Session::open(
                    &parent, span_name, operation, agent, ids, levels, mode, shared, None,
                ))
            }
        }
    }
}

/// An intent scope: the root session or one delegation, with its span.
///
/// Spans started while [`Session::context`] is current (attach it, or run a
/// future [`in_scope`](Session::in_scope)) are children of this session's span
/// and are stamped with its ids by [`ReshimuSpanProcessor`](crate::ReshimuSpanProcessor).
/// The span ends on [`end`](Session::end) or when the session is dropped.
#[derive(Debug)]
pub struct Session {
    ids: IntentIds,
    levels: Vec<Level>,
    cx: Context,
    mode: Mode,
    agent: Option<Arc<str>>,
    shared: Arc<Shared>,
}

/// The declaration attributes a span carries.
struct Declaration<'a> {
    spec: Option<&'a IntentSpec>,
    task: Option<&'a str>,
    parent_id: Option<&'a str>,
}

impl Declaration<'_> {
    fn attributes(&self, out: &mut Vec<KeyValue>) {
        if let Some(spec) = self.spec {
            out.extend(
                spec.to_attributes()
                    .into_iter()
                    .map(|(k, v)| KeyValue::new(k, otel_value(v))),
            );
        }
        if let Some(task) = self.task {
            out.push(KeyValue::new(attr::CONTRACTION, task.to_owned()));
        }
        if let Some(parent) = self.parent_id {
            out.push(KeyValue::new(attr::INTENT_PARENT_ID, parent.to_owned()));
        }
    }
}

fn otel_value(v: AttrValue) -> Value {
    match v {
        AttrValue::String(s) => Value::from(s),
        AttrValue::Int(i) => Value::I64(i),
        AttrValue::Double(d) => Value::F64(d),
        AttrValue::StringArray(a) => Value::Array(Array::String(
            a.into_iter().map(StringValue::from).collect(),
        )),
    }
}

impl Session {
    /// Starts a root session for `spec` with the defaults (global tracer,
    /// `observe`, fresh session id).
    pub fn start(spec: IntentSpec) -> Result<Session, Error> {
        Session::builder(spec).start()
    }

    /// Configures a root session for `spec`.
    pub fn builder(spec: IntentSpec) -> SessionBuilder {
        SessionBuilder::new(Origin::Root(spec))
    }

    /// Configures a session that continues a parent's lineage in another
    /// process, from the [`Handoff`] it sent (pass the context extracted from
    /// the request as [`SessionBuilder::parent`]).
    pub fn resume(handoff: Handoff) -> SessionBuilder {
        SessionBuilder::new(Origin::Resume(handoff))
    }

    #[allow(clippy::too_many_arguments)] // private constructor shared by all origins
    fn open(
        parent: &Context,
        span_name: String,
        operation: &'static str,
        agent: Option<Arc<str>>,
        ids: IntentIds,
        levels: Vec<Level>,
        mode: Mode,
        shared: Arc<Shared>,
        declaration: Option<&Declaration<'_>>,
    ) -> Session {
        let scope = Scope::new(ids.clone());
        let mut attributes = base_attributes(&scope, operation, agent.as_deref());
        if let Some(d) = declaration {
            d.attributes(&mut attributes);
        }
        let span_cx = start_span(
            &shared.tracer,
            parent,
            &scope,
            span_name,
            attributes.clone(),
        );
        if declaration.is_some() {
            emit_declaration(&shared.tracer, &span_cx, &scope, attributes);
        }
        Session {
            cx: span_cx.with_value(Stamp {
                scope,
                preset: false,
            }),
            ids,
            levels,
            mode,
            agent,
            shared,
        }
    }

    /// The ids of the intent in force.
    pub fn ids(&self) -> &IntentIds {
        &self.ids
    }

    /// The spec of the intent in force.
    pub fn spec(&self) -> &IntentSpec {
        self.in_force().spec()
    }

    /// The root spec of the lineage.
    pub fn root_spec(&self) -> &IntentSpec {
        self.levels[0].intent.spec()
    }

    /// The mode in force.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The agent running this session, if named.
    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    /// The context to run this session's work in: its span and its ids.
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// Makes [`context`](Session::context) current until the guard drops
    /// (synchronous code; for futures use [`in_scope`](Session::in_scope)).
    pub fn attach(&self) -> ContextGuard {
        self.cx.clone().attach()
    }

    /// Runs `future` with this session's context current on every poll, on
    /// whichever task or thread polls it.
    pub fn in_scope<F: Future>(&self, future: F) -> WithContext<F> {
        future.with_context(self.cx.clone())
    }

    /// The tracer the session's spans come from, for the agent's own spans.
    pub fn tracer(&self) -> &BoxedTracer {
        &self.shared.tracer
    }

    /// What a delegate in another process needs to continue the lineage and
    /// run the same checks; send it with the request (the ids also travel in
    /// W3C Baggage, see [`crate::propagation`]).
    pub fn handoff(&self) -> Handoff {
        Handoff {
            session_id: self.ids.session_id.to_string(),
            mode: self.mode,
            intents: self
                .levels
                .iter()
                .map(|l| HandoffIntent {
                    id: l.id.to_string(),
                    spec: l.intent.spec().clone(),
                })
                .collect(),
        }
    }

    /// Delegates to `agent`: opens a contraction span that declares the child
    /// intent (with its parent id and depth), classifies the contraction with
    /// the scorer before the child starts, and records the verdict on the span
    /// as a `reshimu.guard` event.
    ///
    /// In [`Mode::Enforce`] a thin or redefining (or violating) contraction is
    /// refused with [`Error::ContractionRefused`]; its span ends with an error
    /// status. Otherwise the child session is returned; run the delegate's work
    /// in its context.
    pub fn delegate(
        &self,
        agent: &str,
        contraction: impl Into<Contraction>,
    ) -> Result<Session, Error> {
        let contraction = contraction.into();
        let (child_spec, task) = match contraction {
            Contraction::Spec(spec) => (spec, None),
            Contraction::Task(text) => (
                IntentSpec {
                    objective: text.clone(),
                    ..IntentSpec::default()
                },
                Some(text),
            ),
        };
        let child = Arc::new(PreparedIntent::new(child_spec)?);
        let id = new_id();
        let ids = IntentIds {
            intent_id: id.clone(),
            root_id: self.ids.root_id.clone(),
            session_id: self.ids.session_id.clone(),
            depth: self.ids.depth + 1,
        };
        let declaration = Declaration {
            spec: task.is_none().then(|| child.spec()),
            task: task.as_deref(),
            parent_id: Some(&self.ids.intent_id),
        };
        let mut levels = self.levels.clone();
        levels.push(Level {
            id,
            intent: child.clone(),
        });

        let scope = Scope::new(ids.clone());
        let mut attributes = base_attributes(&scope, "invoke_agent", Some(agent));
        declaration.attributes(&mut attributes);
        let score = score_attributes(
            &*self.shared.scorer,
            &levels,
            &format!("invoke_agent {agent}"),
            &attributes,
        );
        let span_cx = start_span(
            &self.shared.tracer,
            &self.cx,
            &scope,
            format!("invoke_agent {agent}"),
            attributes.clone(),
        );
        emit_declaration(&self.shared.tracer, &span_cx, &scope, attributes);

        let refused = self.mode == Mode::Enforce
            && matches!(score.verdict, Verdict::Thin | Verdict::Violation);
        let outcome = if refused {
            Outcome::Refused
        } else {
            Outcome::Allowed
        };
        let span = span_cx.span();
        span.add_event(
            attr::event::GUARD,
            guard_event(&score, &format!("delegate {agent}"), self.mode, outcome),
        );
        if refused {
            span.set_status(Status::error(score.explanation.clone()));
            span.end();
            return Err(Error::ContractionRefused {
                agent: agent.to_owned(),
                score: Box::new(score),
            });
        }
        Ok(Session {
            cx: span_cx.with_value(Stamp {
                scope,
                preset: false,
            }),
            ids,
            levels,
            mode: self.mode,
            agent: Some(Arc::from(agent)),
            shared: self.shared.clone(),
        })
    }

    /// Scores a proposed action with the scorer the collector uses, before
    /// it runs. A verdict other than `aligned` is recorded as a
    /// `reshimu.guard` event on the current span (this session's span when
    /// no span is current). In [`Mode::Enforce`] a violation is an
    /// [`Error::ActionRefused`]; otherwise the score is returned and the
    /// caller lets the action run.
    pub fn check(&self, action: &Action) -> Result<Score, Error> {
        self.check_with(action, &[])
    }

    /// [`check`](Session::check) with trusted data (contacts looked up in a
    /// CRM, payees on file) in which a side effect's target may legitimately
    /// appear; see [`reshimu_intent::score::Context`]. Never pass untrusted
    /// content (web pages, inbound mail): that is where injected goals come from.
    pub fn check_with(&self, action: &Action, known_data: &[&str]) -> Result<Score, Error> {
        let levels: Vec<&PreparedIntent> = self.levels.iter().map(|l| &*l.intent).collect();
        let Some(chain) = IntentChain::new(&levels) else {
            return Err(Error::Handoff("a session without intents"));
        };
        let view = SpanView::from_attributes(
            action.name(),
            action
                .attributes()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain([(attr::INTENT_ID, &*self.ids.intent_id)]),
        );
        let ctx = reshimu_intent::score::Context {
            known_data,
            ..Default::default()
        };
        let score = self.shared.scorer.score(&chain, &view, &ctx);
        let refused = self.mode == Mode::Enforce && score.verdict == Verdict::Violation;
        if score.verdict != Verdict::Aligned {
            let outcome = if refused {
                Outcome::Refused
            } else {
                Outcome::Allowed
            };
            let event = guard_event(&score, action.name(), self.mode, outcome);
            let current = Context::current();
            if current.span().span_context().is_valid() {
                current.span().add_event(attr::event::GUARD, event);
            } else {
                self.cx.span().add_event(attr::event::GUARD, event);
            }
        }
        if refused {
            return Err(Error::ActionRefused {
                action: action.name().to_owned(),
                score: Box::new(score),
            });
        }
        Ok(score)
    }

    /// Judges `action` like [`check`](Session::check), then records it as
    /// a span: the action's name and attributes, a child of the current span
    /// (this session's when none is current), with the `reshimu.guard` event
    /// on it when the verdict is not `aligned`. Run the action while the
    /// returned [`ActionSpan`] is attached; its span ends when it drops.
    ///
    /// `check` only judges; use `act` when the agent's own instrumentation
    /// does not already record the action as a span.
    ///
    /// In [`Mode::Enforce`] a violation is an [`Error::ActionRefused`]; the
    /// action's span is still recorded, ended at once with an error status,
    /// so the refusal shows in the trace.
    ///
    /// ```
    /// # use reshimu_exporter::{Action, Session};
    /// # let session = Session::start(reshimu_exporter::IntentSpec {
    /// #     objective: "Audit the inactive customer accounts".into(), ..Default::default() })?;
    /// let sql = "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY";
    /// let span = session.act(&Action::sql(sql))?;
    /// {
    ///     let _in_span = span.attach();
    ///     // run the query here: spans it starts are children of the action's
    /// }
    /// assert_eq!(span.score().verdict.as_str(), "aligned");
    /// span.end();
    /// # Ok::<(), reshimu_exporter::Error>(())
    /// ```
    pub fn act(&self, action: &Action) -> Result<ActionSpan, Error> {
        let current = Context::current();
        let parent = if current.span().span_context().is_valid() {
            current
        } else {
            self.cx.clone()
        };
        let kind = if action
            .attributes()
            .iter()
            .any(|(k, _)| k == foreign::DB_QUERY_TEXT || k == foreign::HTTP_REQUEST_METHOD)
        {
            SpanKind::Client
        } else {
            SpanKind::Internal
        };
        let tracer = &self.shared.tracer;
        let span = tracer
            .span_builder(action.name().to_owned())
            .with_kind(kind)
            .with_attributes(
                action
                    .attributes()
                    .iter()
                    .map(|(k, v)| KeyValue::new(k.clone(), v.clone())),
            )
            .start_with_context(tracer, &parent);
        let cx = parent.with_span(span);
        let checked = {
            // The guard event of the check goes on the action's own span.
            let _guard = cx.clone().attach();
            self.check(action)
        };
        match checked {
            Ok(score) => Ok(ActionSpan { cx, score }),
            Err(error) => {
                cx.span().set_status(Status::error(error.to_string()));
                cx.span().end();
                Err(error)
            }
        }
    }

    /// Ends the session's span now (it also ends on drop).
    pub fn end(self) {
        drop(self);
    }

    fn in_force(&self) -> &PreparedIntent {
        &self.levels[self.levels.len() - 1].intent
    }
}

/// The span of an action recorded by [`Session::act`], with the score the
/// check gave it. The span ends on [`end`](ActionSpan::end) or drop.
#[derive(Debug)]
pub struct ActionSpan {
    cx: Context,
    score: Score,
}

impl ActionSpan {
    /// The verdict, alignment and evidence the check gave the action.
    pub fn score(&self) -> &Score {
        &self.score
    }

    /// The context with the action's span, to run the action in.
    pub fn context(&self) -> &Context {
        &self.cx
    }

    /// Makes [`context`](ActionSpan::context) current until the guard drops.
    pub fn attach(&self) -> ContextGuard {
        self.cx.clone().attach()
    }

    /// Ends the action's span now (it also ends on drop).
    pub fn end(self) {
        drop(self);
    }
}

impl Drop for ActionSpan {
    fn drop(&mut self) {
        self.cx.span().end();
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.cx.span().end();
    }
}

/// The GenAI and id attributes every session span carries.
fn base_attributes(scope: &Scope, operation: &'static str, agent: Option<&str>) -> Vec<KeyValue> {
    let mut v = Vec::with_capacity(16);
    v.extend(scope.attributes.iter().cloned());
    v.push(KeyValue::new(foreign::GEN_AI_OPERATION_NAME, operation));
    v.push(KeyValue::new(
        foreign::GEN_AI_CONVERSATION_ID,
        Value::String(StringValue::from(scope.ids.session_id.clone())),
    ));
    if let Some(agent) = agent {
        v.push(KeyValue::new(foreign::GEN_AI_AGENT_NAME, agent.to_owned()));
    }
    v
}

/// Starts a span that already carries its ids (so the processor leaves it
/// alone) and returns `parent` with it as the active span.
fn start_span(
    tracer: &BoxedTracer,
    parent: &Context,
    scope: &Arc<Scope>,
    name: String,
    attributes: Vec<KeyValue>,
) -> Context {
    let preset = parent.with_value(Stamp {
        scope: scope.clone(),
        preset: true,
    });
    let span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Internal)
        .with_attributes(attributes)
        .start_with_context(tracer, &preset);
    parent.with_span(span)
}

/// The early declaration: a child span carrying the same attributes, ended at once.
fn emit_declaration(
    tracer: &BoxedTracer,
    span_cx: &Context,
    scope: &Arc<Scope>,
    mut attributes: Vec<KeyValue>,
) {
    attributes.retain(|kv| kv.key.as_str() != foreign::GEN_AI_OPERATION_NAME);
    let cx = start_span(
        tracer,
        span_cx,
        scope,
        DECLARE_SPAN_NAME.to_owned(),
        attributes,
    );
    cx.span().end();
}

/// Scores a span described by OTel attributes against the lineage `levels`,
/// the way the collector will score it once exported.
fn score_attributes(
    scorer: &dyn Scorer,
    levels: &[Level],
    name: &str,
    attributes: &[KeyValue],
) -> Score {
    let strings: Vec<(&str, String)> = attributes
        .iter()
        .filter_map(|kv| match &kv.value {
            Value::String(s) => Some((kv.key.as_str(), s.as_str().to_owned())),
            Value::I64(i) => Some((kv.key.as_str(), i.to_string())),
            _ => None,
        })
        .collect();
    let view = SpanView::from_attributes(name, strings.iter().map(|(k, v)| (*k, v.as_str())));
    let refs: Vec<&PreparedIntent> = levels.iter().map(|l| &*l.intent).collect();
    match IntentChain::new(&refs) {
        Some(chain) => scorer.score(&chain, &view, &reshimu_intent::score::Context::default()),
        None => Score::unscoped(scorer.version()),
    }
}

/// A fresh random id: 32 lowercase hex digits (128 bits).
pub(crate) fn new_id() -> Arc<str> {
    Arc::from(format!("{:032x}", rand::random::<u128>()))
}

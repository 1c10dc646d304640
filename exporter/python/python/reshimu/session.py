"""Sessions: the root intent, its contractions, and the guard that checks
actions against them before they run.

The spans follow the semconv (`schemas/semconv/registry/reshimu.yaml`) and
the Rust exporter (`exporter/src/session.rs`) exactly: a root span
`invoke_agent <agent>` (or `invoke_workflow <name>`) declaring the intent, a
delegation span `invoke_agent <delegate>` declaring each contraction with its
parent id and depth, and for each declaration an immediate child span
`reshimu.intent.declare` with the same attributes, ended at once, so the
collector learns the intent in the first export batch.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, MutableMapping, Sequence
from types import TracebackType
from typing import Any, Literal, Union

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer, TracerProvider

from ._native import INTENT_DECLARE_SPAN, Action, IntentChain, IntentSpec, Score, SessionScorer
from ._provenance import memory_for
from ._scope import IntentIds, Scope, stamp_of, with_scope
from ._sdk import add_event
from .errors import NoSession, Refused, ReshimuError

__all__ = [
    "DECLARE_SPAN_NAME",
    "TRACER_NAME",
    "Mode",
    "Session",
    "check",
    "current_session",
    "resume",
    "session",
]

Mode = Literal["observe", "enforce"]
"""`observe` records a `reshimu.guard` event and lets the action run;
`enforce` raises `reshimu.Refused` on a violating action or a thin or
redefining contraction."""

DECLARE_SPAN_NAME: str = INTENT_DECLARE_SPAN
"""Name of the short span that declares an intent the moment it is created."""

TRACER_NAME = "reshimu"
"""The instrumentation scope of the spans the SDK starts."""

GUARD_EVENT = "reshimu.guard"
GUARD_ACTION = "reshimu.guard.action"
GUARD_MODE = "reshimu.guard.mode"
GUARD_OUTCOME = "reshimu.guard.outcome"

_CONTRACTION = "reshimu.contraction"
_PARENT_ID = "reshimu.intent.parent_id"
_OPERATION = "gen_ai.operation.name"
_AGENT = "gen_ai.agent.name"
_CONVERSATION = "gen_ai.conversation.id"

SpecOrTask = Union[IntentSpec, str, Mapping[str, Any]]


def _new_id() -> str:
    """A fresh random id: 32 lowercase hex digits (128 bits)."""
    return secrets.token_hex(16)


def _mode(mode: str) -> Mode:
    if mode == "observe":
        return "observe"
    if mode == "enforce":
        return "enforce"
    raise ValueError(f"mode must be 'observe' or 'enforce', not {mode!r}")


def _spec(value: IntentSpec | Mapping[str, Any]) -> IntentSpec:
    if isinstance(value, IntentSpec):
        return value
    return IntentSpec(**dict(value))


def _tracer(tracer_provider: TracerProvider | None) -> Tracer:
    if tracer_provider is None:
        return trace.get_tracer(TRACER_NAME)
    return tracer_provider.get_tracer(TRACER_NAME)


def text_of(value: Any) -> str:
    """A tool's result as the text its span records: a string as is, any
    other value as JSON (non-ASCII kept), else its `str`."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def guard_event(score: Score, action: str, mode: Mode, refused: bool) -> dict[str, Any]:
    """The attributes of a `reshimu.guard` event (those of the Rust exporter),
    each a valid OpenTelemetry value as the SDK stores it."""
    attributes: dict[str, Any] = {
        GUARD_ACTION: action,
        GUARD_MODE: mode,
        GUARD_OUTCOME: "refused" if refused else "allowed",
        "reshimu.verdict": score.verdict,
        "reshimu.score.alignment": score.alignment,
        "reshimu.score.local_alignment": score.local_alignment,
        "reshimu.explanation": score.explanation,
        "reshimu.scorer": score.scorer,
        "reshimu.violations": tuple(score.violations),
    }
    if score.coverage is not None:
        attributes["reshimu.score.coverage"] = score.coverage
    return attributes


class Session:
    """An intent scope: the root session or one delegation, with its span.

    Use it as a context manager (``with`` or ``async with``): inside, it is
    the current context, so every span started there by any library is a
    child of its span and is stamped with its ids by `ReshimuSpanProcessor`.
    Leaving the block ends the span (an exception marks it as an error).
    Without a block, call `end()`. Build one with `reshimu.session`,
    `Session.delegate` or `reshimu.resume`.
    """

    def __init__(
        self,
        *,
        chain: IntentChain,
        intent_ids: Sequence[str],
        ids: IntentIds,
        mode: Mode,
        agent: str | None,
        tracer: Tracer,
        span: Span,
        parent: Context,
        memory: SessionScorer,
    ) -> None:
        self._chain = chain
        self._memory = memory
        self._intent_ids = tuple(intent_ids)
        self._ids = ids
        self._mode = mode
        self._agent = agent
        self._tracer = tracer
        self._span = span
        self._scope = Scope(ids, self)
        self._context = trace.set_span_in_context(span, with_scope(parent, self._scope))
        self._tokens: list[object] = []
        self._ended = False

    # -- what the session is ------------------------------------------------

    @property
    def ids(self) -> IntentIds:
        """The ids of the intent in force."""
        return self._ids

    @property
    def intent_id(self) -> str:
        """The intent in force (`reshimu.intent.id`)."""
        return self._ids.intent_id

    @property
    def root_id(self) -> str:
        """The root intent of the lineage."""
        return self._ids.root_id

    @property
    def session_id(self) -> str:
        """The session (`reshimu.session.id`)."""
        return self._ids.session_id

    @property
    def depth(self) -> int:
        """Delegation depth: 0 at the root, +1 per contraction."""
        return self._ids.depth

    @property
    def spec(self) -> IntentSpec:
        """The spec of the intent in force."""
        return self._chain.in_force

    @property
    def root_spec(self) -> IntentSpec:
        """The root spec of the lineage."""
        return self._chain.root

    @property
    def chain(self) -> IntentChain:
        """The intents from the root down to the one in force."""
        return self._chain

    @property
    def mode(self) -> Mode:
        """The mode in force."""
        return self._mode

    @property
    def agent(self) -> str | None:
        """The agent running this session, if named."""
        return self._agent

    @property
    def span(self) -> Span:
        """The session's span."""
        return self._span

    @property
    def context(self) -> Context:
        """The context to run this session's work in: its span and its ids."""
        return self._context

    @property
    def tracer(self) -> Tracer:
        """The tracer the session's spans come from."""
        return self._tracer

    @property
    def scorer(self) -> SessionScorer:
        """What this session has seen, and the scoring with it (one per
        session id in this process: the root and its delegates share it)."""
        return self._memory

    # -- context management ---------------------------------------------------

    def __enter__(self) -> Session:
        self._tokens.append(otel_context.attach(self._context))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._tokens:
            otel_context.detach(self._tokens.pop())  # type: ignore[arg-type]
        if exc is not None and not self._ended:
            self._span.record_exception(exc)
            self._span.set_status(Status(StatusCode.ERROR, f"{type(exc).__name__}: {exc}"))
        if not self._tokens:
            self.end()

    async def __aenter__(self) -> Session:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def end(self) -> None:
        """Ends the session's span (once; leaving the `with` block does it)."""
        if not self._ended:
            self._ended = True
            self._span.end()

    # -- delegation -------------------------------------------------------------

    def delegate(self, agent: str, contraction: SpecOrTask) -> Session:
        """Delegates to `agent`: opens a delegation span declaring the child
        intent (its own spec, or a task text that becomes its whole
        objective, recorded as `reshimu.contraction`), with its parent id and
        depth; classifies the contraction with the collector's scorer before
        the child starts and records the verdict as a `reshimu.guard` event.

        In `enforce` mode a thin, redefining or violating contraction raises
        `reshimu.Refused` and its span ends with an error status. Otherwise
        the child session is returned: run the delegate's work in it
        (``with session.delegate(...) as child:``).
        """
        task: str | None = None
        if isinstance(contraction, str):
            task = contraction
            child_spec = IntentSpec(objective=contraction)
        else:
            child_spec = _spec(contraction)
        chain = self._chain.extend(child_spec)
        ids = IntentIds(_new_id(), self._ids.root_id, self._ids.session_id, self._ids.depth + 1)
        attributes = _base_attributes(ids, "invoke_agent", agent)
        if task is None:
            attributes.update(child_spec.to_attributes())
        else:
            attributes[_CONTRACTION] = task
        attributes[_PARENT_ID] = self._ids.intent_id
        name = f"invoke_agent {agent}"
        score = self._memory.score(chain, name, attributes)

        # The delegation hangs under the current span when the work that
        # delegates runs inside this session (a tool span, say), else under
        # the session's own span.
        current = otel_context.get_current()
        stamp = stamp_of(current)
        parent = current if stamp is not None and stamp.scope is self._scope else self._context
        span = _start(self._tracer, parent, ids, name, attributes, declare=True)
        # The delegate's task is what it was asked (the collector learns it
        # from the declaration span, whether or not the delegate runs).
        self._memory.observe(name, attributes)

        refused = self._mode == "enforce" and score.verdict in ("thin", "violation")
        add_event(span, GUARD_EVENT, guard_event(score, f"delegate {agent}", self._mode, refused))
        if refused:
            span.set_status(Status(StatusCode.ERROR, score.explanation))
            span.end()
            raise Refused(f"delegate {agent}", score, delegation=True)
        return Session(
            chain=chain,
            intent_ids=(*self._intent_ids, ids.intent_id),
            ids=ids,
            mode=self._mode,
            agent=agent,
            tracer=self._tracer,
            span=span,
            parent=parent,
            memory=self._memory,
        )

    # -- the guard ------------------------------------------------------------------

    def check(self, action: Action, known_data: Sequence[str] = ()) -> Score:
        """Scores a proposed action with the scorer the collector uses, before
        it runs, knowing what the session has seen (`observe_tool_result`,
        and every ended span of the session when `ReshimuSpanProcessor` is
        installed): a target that first appeared in an instruction inside
        content the agent read (a web page, an inbound mail) is an injected
        goal. A verdict other than `aligned` is recorded as a `reshimu.guard`
        event on the current span (this session's span when no span is
        recording). In `enforce` mode a violation raises `reshimu.Refused`;
        otherwise the score is returned and the action runs.

        `known_data`: trusted texts (contacts looked up in a CRM, payees on
        file) in which a side effect's target may legitimately appear. Never
        pass untrusted content (web pages, inbound mail): observe it.
        """
        score = self._memory.check(self._chain, action, self._ids.intent_id, list(known_data))
        if score.verdict == "aligned":
            return score
        refused = self._mode == "enforce" and score.verdict == "violation"
        current = trace.get_current_span()
        target = current if current.is_recording() else self._span
        add_event(target, GUARD_EVENT, guard_event(score, action.name, self._mode, refused))
        if refused:
            raise Refused(action.name, score)
        return score

    def observe_tool_result(self, tool: str, result: Any) -> None:
        """Tells the session what the tool `tool` returned (text, or any
        value, recorded as JSON), for a tool whose span the processor does
        not see: later checks know where each value in it came from."""
        self._memory.observe_tool_result(tool, text_of(result))

    # -- crossing processes -----------------------------------------------------------

    def handoff(self) -> dict[str, Any]:
        """What a delegate in another process needs to continue the lineage
        and run the same checks, as JSON-ready data (the Rust exporter's
        `Handoff`): send it in the request body, next to the headers that
        `reshimu.inject` writes."""
        return {
            "session_id": self._ids.session_id,
            "mode": self._mode,
            "intents": [
                {"id": intent_id, "spec": spec.to_dict()}
                for intent_id, spec in zip(self._intent_ids, self._chain.levels)
            ],
        }

    def inject(self, headers: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
        """Writes this session's trace context and intent baggage into
        `headers` (a new dict when None) and returns it."""
        from .propagation import inject

        return inject(headers, self._context)

    def __repr__(self) -> str:
        return (
            f"Session(agent={self._agent!r}, intent_id={self.intent_id!r}, "
            f"depth={self.depth}, mode={self._mode!r})"
        )


def _base_attributes(ids: IntentIds, operation: str, agent: str | None) -> dict[str, Any]:
    """The GenAI and id attributes every session span carries."""
    attributes: dict[str, Any] = dict(ids.attributes())
    attributes[_OPERATION] = operation
    attributes[_CONVERSATION] = ids.session_id
    if agent is not None:
        attributes[_AGENT] = agent
    return attributes


def _start(
    tracer: Tracer,
    parent: Context,
    ids: IntentIds,
    name: str,
    attributes: dict[str, Any],
    declare: bool,
) -> Span:
    """Starts a span that already carries its ids (so the processor leaves it
    alone) and, for a declaration, its immediate `reshimu.intent.declare`
    child with the same attributes."""
    preset = with_scope(parent, Scope(ids), preset=True)
    span = tracer.start_span(name, context=preset, kind=SpanKind.INTERNAL, attributes=attributes)
    if declare:
        declared = {k: v for k, v in attributes.items() if k != _OPERATION}
        tracer.start_span(
            DECLARE_SPAN_NAME,
            context=trace.set_span_in_context(span, preset),
            kind=SpanKind.INTERNAL,
            attributes=declared,
        ).end()
    return span


def session(
    spec: IntentSpec | Mapping[str, Any],
    agent: str | None = None,
    *,
    workflow: str | None = None,
    mode: Mode = "observe",
    tracer_provider: TracerProvider | None = None,
    session_id: str | None = None,
    context: Context | None = None,
) -> Session:
    """Starts a root session: declares `spec` on the span `invoke_agent
    <agent>` (or `invoke_workflow <workflow>`) and on an immediate
    `reshimu.intent.declare` span.

    `tracer_provider`: the provider for the session's spans (the global one
    when None). `session_id`: default a fresh random id. `context`: the
    parent context (default the current one).
    """
    if agent is not None and workflow is not None:
        raise ValueError("a session runs an agent or a workflow, not both")
    spec = _spec(spec)
    checked_mode = _mode(mode)
    operation = "invoke_workflow" if workflow is not None else "invoke_agent"
    label = workflow if workflow is not None else agent
    name = f"{operation} {label}" if label else operation
    intent_id = _new_id()
    sid = session_id.strip() if session_id and session_id.strip() else _new_id()
    ids = IntentIds(intent_id, intent_id, sid, 0)
    attributes = _base_attributes(ids, operation, label)
    attributes.update(spec.to_attributes())
    tracer = _tracer(tracer_provider)
    parent = context if context is not None else otel_context.get_current()
    span = _start(tracer, parent, ids, name, attributes, declare=True)
    memory = memory_for(sid)
    memory.observe(name, attributes)
    return Session(
        chain=IntentChain([spec]),
        intent_ids=(intent_id,),
        ids=ids,
        mode=checked_mode,
        agent=label,
        tracer=tracer,
        span=span,
        parent=parent,
        memory=memory,
    )


def resume(
    handoff: Mapping[str, Any],
    agent: str | None = None,
    *,
    context: Context | None = None,
    mode: Mode | None = None,
    tracer_provider: TracerProvider | None = None,
) -> Session:
    """Continues a parent's lineage in another process from the `handoff` it
    sent (`Session.handoff()`, from Python or Rust). Pass the context
    `reshimu.extract(request.headers)` returned as `context`, so the span is
    a child of the caller's delegation span. The mode defaults to the
    parent's."""
    try:
        session_id = str(handoff["session_id"]).strip()
        intents = list(handoff["intents"])
        levels = [(str(i["id"]).strip(), _spec(i["spec"])) for i in intents]
    except (KeyError, TypeError) as e:
        raise ReshimuError(f"invalid handoff: missing or malformed {e}") from e
    if not session_id:
        raise ReshimuError("invalid handoff: empty session id")
    if not levels:
        raise ReshimuError("invalid handoff: no intents")
    if any(not intent_id for intent_id, _ in levels):
        raise ReshimuError("invalid handoff: empty intent id")
    checked_mode = _mode(mode if mode is not None else str(handoff.get("mode", "observe")))
    ids = IntentIds(levels[-1][0], levels[0][0], session_id, len(levels) - 1)
    name = f"invoke_agent {agent}" if agent else "invoke_agent"
    tracer = _tracer(tracer_provider)
    parent = context if context is not None else otel_context.get_current()
    span = _start(tracer, parent, ids, name, _base_attributes(ids, "invoke_agent", agent), False)
    memory = memory_for(session_id)
    # What the lineage asked, as the collector learned it from the parent's
    # declarations (the parent's tool results stay in the parent's process).
    for intent_id, spec in levels:
        memory.observe(DECLARE_SPAN_NAME, {**spec.to_attributes(), "reshimu.intent.id": intent_id})
    return Session(
        chain=IntentChain([spec for _, spec in levels]),
        intent_ids=[intent_id for intent_id, _ in levels],
        ids=ids,
        mode=checked_mode,
        agent=agent,
        tracer=tracer,
        span=span,
        parent=parent,
        memory=memory,
    )


def current_session(ctx: Context | None = None) -> Session | None:
    """The session in force in `ctx` (the current context when None), if any."""
    stamp = stamp_of(ctx)
    return stamp.scope.session if stamp is not None else None


def check(action: Action, known_data: Sequence[str] = ()) -> Score:
    """`Session.check` on the session in force in the current context.

    Raises `reshimu.NoSession` outside any session: a context that carries
    only ids (from baggage) has no spec to check against; continue the
    lineage with `reshimu.resume(handoff, ...)` to check there.
    """
    active = current_session()
    if active is None:
        raise NoSession(
            "reshimu.check ran outside any Reshimu session: open one with reshimu.session(...), "
            "or reshimu.resume(handoff, ...) in a delegate process"
        )
    return active.check(action, known_data)

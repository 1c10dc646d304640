"""What the integrations share: the session to delegate from, the
contraction to hand over, tool spans, and text for results."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Callable, Union

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import Span, Status, StatusCode

from .._native import Action, IntentSpec
from ..errors import NoSession, Refused
from ..session import Session, current_session

Contraction = Union[IntentSpec, str, Callable[[str], Union[IntentSpec, str]], None]
"""What a delegate is handed: a spec, a fixed task text, a function of the
task the model wrote, or None (the model's task text itself)."""

ActionFor = Callable[[Mapping[str, Any]], Action]
"""Builds the `Action` to check from a tool call's arguments."""


def session_or_raise(what: str) -> Session:
    active = current_session()
    if active is None:
        raise NoSession(f"{what} ran outside any Reshimu session: wrap the run in reshimu.session")
    return active


def contraction_for(contraction: Contraction, task: str) -> IntentSpec | str:
    if contraction is None:
        return task
    if isinstance(contraction, (IntentSpec, str)):
        return contraction
    return contraction(task)


def text(value: Any) -> str:
    """A tool result or an agent's output as text for the span."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def tool_action(name: str, args: Any, actions: Mapping[str, ActionFor]) -> Action:
    if isinstance(args, str):
        try:
            parsed: Any = json.loads(args) if args.strip() else {}
        except ValueError:
            parsed = args
    else:
        parsed = args
    build = actions.get(name)
    if build is not None and isinstance(parsed, Mapping):
        return build(parsed)
    return Action.tool(name, args if isinstance(args, str) else parsed)


def start_tool_span(session: Session, name: str, action: Action) -> Span:
    """The `execute_tool <name>` span of a tool call, under the current span
    when it belongs to `session`, else under the session's span."""
    attributes: dict[str, Any] = dict(action.attributes)
    attributes.setdefault("gen_ai.operation.name", "execute_tool")
    attributes["gen_ai.tool.name"] = name
    if session.agent is not None:
        attributes["gen_ai.agent.name"] = session.agent
    parent = otel_context.get_current()
    if current_session(parent) is not session:
        parent = session.context
    return session.tracer.start_span(f"execute_tool {name}", context=parent, attributes=attributes)


def checked(session: Session, span: Span, action: Action) -> None:
    """`session.check(action)` with `span` current (the event lands on it);
    a refusal ends the span with an error status before it propagates."""
    token = otel_context.attach(trace.set_span_in_context(span, session.context))
    try:
        session.check(action)
    except Refused as refused:
        span.set_status(Status(StatusCode.ERROR, str(refused)))
        span.end()
        raise
    finally:
        otel_context.detach(token)


def end_tool_span(span: Span, result: Any, error: BaseException | None = None) -> None:
    if error is not None:
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, str(error)))
    else:
        span.set_attribute("gen_ai.tool.call.result", text(result))
    span.end()

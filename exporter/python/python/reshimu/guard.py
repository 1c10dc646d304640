"""`guarded`: check a tool function's call against the intent before it runs."""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, TypeVar, cast

from opentelemetry import trace

from ._native import Action
from .session import check, current_session, text_of

__all__ = ["guarded"]

F = TypeVar("F", bound=Callable[..., Any])

ActionBuilder = Callable[..., Action]


def _arguments(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The call's arguments by parameter name (what a model sends as JSON)."""
    try:
        bound = inspect.signature(fn).bind_partial(*args, **kwargs)
    except (TypeError, ValueError):
        return {"args": list(args), **kwargs}
    return {k: v for k, v in bound.arguments.items() if k not in ("self", "ctx", "context")}


def guarded(
    fn: F | None = None,
    *,
    name: str | None = None,
    action: ActionBuilder | None = None,
    span: bool = True,
) -> Any:
    """Decorates a tool function (sync or async) so that every call is first
    checked by `reshimu.check` and, with `span=True`, runs in an
    `execute_tool <name>` span carrying the GenAI tool attributes (the span
    the collector scores afterwards).

    `action(*args, **kwargs)` builds the `Action` to check (default:
    `Action.tool(name, arguments)`, arguments as JSON by parameter name);
    use `Action.sql(...)` for a tool that runs SQL. Outside a session the
    function runs unchecked. In `enforce` mode a violation raises
    `reshimu.Refused` and the function does not run.
    """

    def decorate(func: F) -> F:
        tool_name = name or func.__name__

        def build(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Action:
            if action is not None:
                return action(*args, **kwargs)
            return Action.tool(tool_name, _arguments(func, args, kwargs))

        def attributes(proposed: Action) -> dict[str, Any]:
            attrs: dict[str, Any] = dict(proposed.attributes)
            attrs.setdefault("gen_ai.operation.name", "execute_tool")
            attrs.setdefault("gen_ai.tool.name", tool_name)
            return attrs

        def tracer() -> trace.Tracer:
            active = current_session()
            return active.tracer if active is not None else trace.get_tracer("reshimu")

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                if current_session() is None:
                    return await func(*args, **kwargs)
                proposed = build(args, kwargs)
                if not span:
                    check(proposed)
                    return await func(*args, **kwargs)
                with tracer().start_as_current_span(
                    f"execute_tool {tool_name}", attributes=attributes(proposed)
                ) as s:
                    check(proposed)
                    result = await func(*args, **kwargs)
                    s.set_attribute("gen_ai.tool.call.result", text_of(result))
                    return result

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            if current_session() is None:
                return func(*args, **kwargs)
            proposed = build(args, kwargs)
            if not span:
                check(proposed)
                return func(*args, **kwargs)
            with tracer().start_as_current_span(
                f"execute_tool {tool_name}", attributes=attributes(proposed)
            ) as s:
                check(proposed)
                result = func(*args, **kwargs)
                s.set_attribute("gen_ai.tool.call.result", text_of(result))
                return result

        return cast(F, run)

    if fn is not None:
        return decorate(fn)
    return decorate

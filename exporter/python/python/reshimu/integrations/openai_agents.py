"""The OpenAI Agents SDK: run hooks that turn handoffs into delegations and
check every tool call before it runs.

::

    from reshimu.integrations.openai_agents import ReshimuRunHooks

    hooks = ReshimuRunHooks(
        contractions={"query_agent": query_spec},            # what each handoff hands over
        actions={"run_sql": lambda a: reshimu.Action.sql(a["query"])},
    )
    with reshimu.session(spec, agent="coordinator"):
        await Runner.run(coordinator, "Audit the inactive accounts", hooks=hooks)

The SDK runs hooks in tasks of their own, so the hooks keep the delegated
sessions themselves (by agent name) instead of changing the current
context: each tool call is checked against the session of the agent that
makes it, and recorded as an `execute_tool` span under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents import Agent, RunContextWrapper, RunHooks, Tool
from opentelemetry.trace import Span

from ..errors import Refused
from ..session import Session
from ._common import (
    ActionFor,
    checked,
    end_tool_span,
    session_or_raise,
    start_tool_span,
    text,
    tool_action,
)

__all__ = ["ReshimuRunHooks", "refusal"]


def refusal(error: BaseException) -> Refused | None:
    """The `reshimu.Refused` behind `error`: the SDK wraps what a hook raises
    (`UserError: Error running tool ...`), keeping it as the cause."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, Refused):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


class ReshimuRunHooks(RunHooks[Any]):
    """Run hooks for `Runner.run(..., hooks=ReshimuRunHooks(...))` inside a
    `reshimu.session`.

    - Handoff to an agent: `Session.delegate` from the handing agent's
      session, with `contractions[agent]` (a spec or a task text; default the
      agent's `handoff_description`, else its name). In `enforce` mode a thin
      or redefining contraction raises `reshimu.Refused` and the run stops.
    - Tool call: `Session.check` of `actions[tool](arguments)` (default
      `Action.tool(name, arguments)`) in an `execute_tool <name>` span that
      ends with the tool's result. In `enforce` mode a violation raises
      `reshimu.Refused` before the tool runs.
    - The final agent's end closes the delegations the run opened.
    """

    def __init__(
        self,
        contractions: Mapping[str, Any] | None = None,
        actions: Mapping[str, ActionFor] | None = None,
        session: Session | None = None,
    ) -> None:
        self._contractions = dict(contractions or {})
        self._actions = dict(actions or {})
        self._root = session
        self._sessions: dict[str, Session] = {}
        self._tools: dict[tuple[str, str, str], Span] = {}

    def session_of(self, agent: Agent[Any]) -> Session:
        """The session an agent runs in: its delegation, else the root."""
        found = self._sessions.get(agent.name)
        if found is not None:
            return found
        if self._root is None:
            self._root = session_or_raise("ReshimuRunHooks")
        return self._root

    async def on_agent_start(self, context: Any, agent: Agent[Any]) -> None:
        self.session_of(agent)

    async def on_handoff(
        self, context: RunContextWrapper[Any], from_agent: Agent[Any], to_agent: Agent[Any]
    ) -> None:
        parent = self.session_of(from_agent)
        contraction = self._contractions.get(to_agent.name)
        if contraction is None:
            contraction = to_agent.handoff_description or f"Continue as {to_agent.name}"
        child = parent.delegate(to_agent.name, contraction)
        previous = self._sessions.pop(to_agent.name, None)
        if previous is not None:
            previous.end()
        self._sessions[to_agent.name] = child

    async def on_tool_start(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool
    ) -> None:
        active = self.session_of(agent)
        arguments = getattr(context, "tool_arguments", "{}")
        action = tool_action(tool.name, arguments, self._actions)
        span = start_tool_span(active, tool.name, action)
        checked(active, span, action)
        self._tools[(agent.name, tool.name, getattr(context, "tool_call_id", ""))] = span

    async def on_tool_end(
        self, context: RunContextWrapper[Any], agent: Agent[Any], tool: Tool, result: object
    ) -> None:
        span = self._tools.pop((agent.name, tool.name, getattr(context, "tool_call_id", "")), None)
        if span is not None:
            end_tool_span(span, result)

    async def on_agent_end(self, context: Any, agent: Agent[Any], output: Any) -> None:
        active = self._sessions.get(agent.name)
        if active is not None:
            active.span.set_attribute("gen_ai.output.text", text(output)[:4096])
        self.close()

    def close(self) -> None:
        """Ends the delegations and tool spans still open (idempotent)."""
        for span in self._tools.values():
            span.end()
        self._tools.clear()
        for child in reversed(list(self._sessions.values())):
            child.end()
        self._sessions.clear()

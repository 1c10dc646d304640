"""pydantic-ai: tool calls checked before they run, and agent delegation.

::

    from pydantic_ai.toolsets import FunctionToolset
    from reshimu.integrations.pydantic_ai import ReshimuToolset, delegate_tool

    tools = ReshimuToolset(FunctionToolset([run_sql]),
                           actions={"run_sql": lambda a: reshimu.Action.sql(a["query"])})
    query_agent = Agent(model, instructions=..., toolsets=[tools])
    coordinator = Agent(model, tools=[delegate_tool("query_agent", query_agent,
                                                    name="ask_query_agent", contraction=spec)])
    with reshimu.session(spec, agent="coordinator"):
        await coordinator.run("Audit the inactive accounts")
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import Tool
from pydantic_ai.toolsets import WrapperToolset

from ..session import current_session
from ._common import (
    ActionFor,
    Contraction,
    checked,
    contraction_for,
    end_tool_span,
    session_or_raise,
    start_tool_span,
    tool_action,
)

__all__ = ["ReshimuToolset", "delegate_tool"]


@dataclass
class ReshimuToolset(WrapperToolset[Any]):
    """Wraps a toolset so that every call is checked with `Session.check`
    (`actions[name](arguments)`, default `Action.tool(name, arguments)`) in
    an `execute_tool <name>` span, before the tool runs. In `enforce` mode a
    violation raises `reshimu.Refused` and the tool does not run. Outside a
    session the tools run unchecked."""

    actions: Mapping[str, ActionFor] = field(default_factory=dict)

    async def call_tool(self, name: str, tool_args: dict[str, Any], ctx: Any, tool: Any) -> Any:
        active = current_session()
        if active is None:
            return await super().call_tool(name, tool_args, ctx, tool)
        action = tool_action(name, tool_args, self.actions)
        span = start_tool_span(active, name, action)
        checked(active, span, action)
        try:
            result = await super().call_tool(name, tool_args, ctx, tool)
        except BaseException as error:
            end_tool_span(span, None, error)
            raise
        end_tool_span(span, result)
        return result


def delegate_tool(
    agent: str,
    sub_agent: Any,
    *,
    name: str,
    description: str | None = None,
    contraction: Contraction = None,
) -> Tool[Any]:
    """A tool taking a `task` that runs `sub_agent.run(task)` in a delegation
    from the session in force to `agent` (the contraction declared and judged
    first; `reshimu.Refused` in `enforce` mode when it is thin or redefines
    a term); the sub-agent's spans and checks run under the child intent."""

    async def delegate(task: str) -> str:
        parent = session_or_raise(f"tool {name}")
        async with parent.delegate(agent, contraction_for(contraction, task)):
            result = await sub_agent.run(task)
            return str(result.output)

    return Tool(
        delegate,
        name=name,
        description=description or f"Delegate a task to {agent}.",
        takes_ctx=False,
    )

"""LangChain and LangGraph: a sub-agent behind a tool, run as a delegation.

::

    from reshimu.integrations.langchain import delegate_tool

    ask_query_agent = delegate_tool(
        "query_agent", query_graph, name="ask_query_agent",
        description="Ask the query agent to find rows in the database.",
        contraction=query_spec,      # or None: the model's task text is the contraction
    )
    coordinator = create_react_agent(model, [ask_query_agent, ask_summarizer])
    with reshimu.session(spec, agent="coordinator"):
        coordinator.invoke({"messages": [("user", "Audit the inactive accounts")]})

Guard the sub-agents' own tools with `reshimu.guarded` under `@tool`.
"""

from __future__ import annotations

from typing import Any, Callable, Union

from langchain_core.tools import BaseTool, StructuredTool

from ._common import Contraction, contraction_for, session_or_raise, text

__all__ = ["delegate_tool"]

SubAgent = Union[Callable[[str], Any], Any]
"""A function of the task text, or a runnable (a LangGraph graph, an agent)
invoked with `{"messages": [("user", task)]}`."""


def _answer(result: Any) -> str:
    """The last message of a graph's state, or the result itself."""
    if isinstance(result, dict) and result.get("messages"):
        last = result["messages"][-1]
        return text(getattr(last, "content", last))
    return text(getattr(result, "content", result))


def delegate_tool(
    agent: str,
    run: SubAgent,
    *,
    name: str,
    description: str,
    contraction: Contraction = None,
) -> BaseTool:
    """A LangChain tool taking a `task` that runs `run` (the sub-agent) in a
    delegation from the session in force to `agent`: the contraction is
    declared and judged before the sub-agent starts (in `enforce` mode a thin
    or redefining one raises `reshimu.Refused`), and every span and check of
    the sub-agent runs under the child intent."""

    def invoke(task: str) -> str:
        parent = session_or_raise(f"tool {name}")
        with parent.delegate(agent, contraction_for(contraction, task)):
            if hasattr(run, "invoke"):
                return _answer(run.invoke({"messages": [("user", task)]}))
            return _answer(run(task))

    async def ainvoke(task: str) -> str:
        parent = session_or_raise(f"tool {name}")
        async with parent.delegate(agent, contraction_for(contraction, task)):
            if hasattr(run, "ainvoke"):
                return _answer(await run.ainvoke({"messages": [("user", task)]}))
            result = run(task)
            if hasattr(result, "__await__"):
                result = await result
            return _answer(result)

    return StructuredTool.from_function(
        func=invoke, coroutine=ainvoke, name=name, description=description
    )

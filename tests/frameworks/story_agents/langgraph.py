"""LangGraph prebuilt ReAct agents on langchain-openai's ChatOpenAI,
instrumented with openinference-instrumentation-langchain (content captured by
default; OPENINFERENCE_HIDE_INPUTS / _OUTPUTS would hide it). Each delegate is
its own compiled graph, invoked from the coordinator's tool."""

from __future__ import annotations

from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent
from openinference.instrumentation.langchain import LangChainInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from harness.fake_openai import MODEL
from harness.story import COORDINATOR, QUERY_AGENT, SUMMARIZER, SYSTEM_PROMPTS

from .base import CoordinatorTools, QueryTools, SummaryTools


def _model(base_url: str) -> ChatOpenAI:
    return ChatOpenAI(model=MODEL, base_url=base_url, api_key="test-key", max_retries=0)  # type: ignore[arg-type]


def _final(result: dict) -> str:
    return str(result["messages"][-1].content)


class Agents:
    def instrument(self, provider: TracerProvider) -> None:
        LangChainInstrumentor().instrument(tracer_provider=provider)

    def coordinator(self, base_url: str, request: str, tools: CoordinatorTools) -> str:
        @tool
        def delegate_query(task: str) -> str:
            """Hand a database task to the query agent."""
            return tools.delegate_query(task)

        @tool
        def delegate_summary(task: str) -> str:
            """Hand the summary to the summarizer."""
            return tools.delegate_summary(task)

        graph = create_react_agent(
            _model(base_url), [delegate_query, delegate_summary], prompt=SYSTEM_PROMPTS[COORDINATOR], name=COORDINATOR
        )
        return _final(graph.invoke({"messages": [("user", request)]}))

    def query_agent(self, base_url: str, task: str, tools: QueryTools) -> str:
        @tool
        def run_sql(query: str) -> str:
            """Run SQL on the SQLite database."""
            return tools.run_sql(query)

        graph = create_react_agent(_model(base_url), [run_sql], prompt=SYSTEM_PROMPTS[QUERY_AGENT], name=QUERY_AGENT)
        return _final(graph.invoke({"messages": [("user", task)]}))

    def summarizer(self, base_url: str, task: str, tools: SummaryTools) -> str:
        @tool
        def send_email(to: str, subject: str, body: str) -> str:
            """Send an email."""
            return tools.send_email(to, subject, body)

        graph = create_react_agent(_model(base_url), [send_email], prompt=SYSTEM_PROMPTS[SUMMARIZER], name=SUMMARIZER)
        return _final(graph.invoke({"messages": [("user", task)]}))

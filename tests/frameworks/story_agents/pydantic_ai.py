"""pydantic-ai agents on its OpenAI chat model, with pydantic-ai's own
OpenTelemetry instrumentation (`Agent.instrument_all`, GenAI conventions,
content included by default: `include_content=True`). Delegation is
pydantic-ai's documented pattern: an async tool of the coordinator runs another
agent. Each agent run gets its own `gen_ai.conversation.id`.

The harness's delegation is synchronous, so the coordinator's tools run it in
a worker thread with the caller's context copied (`asyncio.to_thread`) and
the delegate runs `agent.run` on that thread's own loop: the OpenTelemetry
context carries over as with a nested `await agent.run(...)`."""

from __future__ import annotations

import asyncio

from opentelemetry.sdk.trace import TracerProvider
from pydantic_ai import Agent
from pydantic_ai.models.instrumented import InstrumentationSettings
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from harness.fake_openai import MODEL
from harness.story import COORDINATOR, QUERY_AGENT, SUMMARIZER, SYSTEM_PROMPTS

from .base import CoordinatorTools, QueryTools, SummaryTools


def _model(base_url: str) -> OpenAIChatModel:
    return OpenAIChatModel(MODEL, provider=OpenAIProvider(base_url=base_url, api_key="test-key"))


class Agents:
    def instrument(self, provider: TracerProvider) -> None:
        Agent.instrument_all(InstrumentationSettings(tracer_provider=provider, include_content=True))

    def coordinator(self, base_url: str, request: str, tools: CoordinatorTools) -> str:
        agent = Agent(_model(base_url), name=COORDINATOR, instructions=SYSTEM_PROMPTS[COORDINATOR])

        @agent.tool_plain
        async def delegate_query(task: str) -> str:
            """Hand a database task to the query agent."""
            return await asyncio.to_thread(tools.delegate_query, task)

        @agent.tool_plain
        async def delegate_summary(task: str) -> str:
            """Hand the summary to the summarizer."""
            return await asyncio.to_thread(tools.delegate_summary, task)

        return str(agent.run_sync(request).output)

    def query_agent(self, base_url: str, task: str, tools: QueryTools) -> str:
        agent = Agent(_model(base_url), name=QUERY_AGENT, instructions=SYSTEM_PROMPTS[QUERY_AGENT])

        @agent.tool_plain
        def run_sql(query: str) -> str:
            """Run SQL on the SQLite database."""
            return tools.run_sql(query)

        return str(asyncio.run(agent.run(task)).output)

    def summarizer(self, base_url: str, task: str, tools: SummaryTools) -> str:
        agent = Agent(_model(base_url), name=SUMMARIZER, instructions=SYSTEM_PROMPTS[SUMMARIZER])

        @agent.tool_plain
        def send_email(to: str, subject: str, body: str) -> str:
            """Send an email."""
            return tools.send_email(to, subject, body)

        return str(asyncio.run(agent.run(task)).output)

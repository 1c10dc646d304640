"""The OpenAI Agents SDK (Responses API) instrumented with
openinference-instrumentation-openai-agents, which replaces the SDK's own
trace exporter (exclusive processor) and captures content by default.

The coordinator's tools are async, as the SDK expects; the harness's
delegation (declaring spans, or an HTTP call) is synchronous, so it runs in a
worker thread with the caller's context copied (`asyncio.to_thread`), and the
delegate runs its own `Runner.run_sync` there: the SDK's trace and the
OpenTelemetry context carry over exactly as with a nested `await Runner.run`.
"""

from __future__ import annotations

import asyncio

from agents import Agent, OpenAIResponsesModel, Runner, function_tool
from openai import AsyncOpenAI
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from opentelemetry.sdk.trace import TracerProvider

from harness.fake_openai import MODEL
from harness.story import COORDINATOR, QUERY_AGENT, SUMMARIZER, SYSTEM_PROMPTS

from .base import CoordinatorTools, QueryTools, SummaryTools


def _model(base_url: str) -> OpenAIResponsesModel:
    return OpenAIResponsesModel(
        model=MODEL, openai_client=AsyncOpenAI(base_url=base_url, api_key="test-key", max_retries=0)
    )


class Agents:
    def instrument(self, provider: TracerProvider) -> None:
        OpenAIAgentsInstrumentor().instrument(tracer_provider=provider)

    def coordinator(self, base_url: str, request: str, tools: CoordinatorTools) -> str:
        @function_tool
        async def delegate_query(task: str) -> str:
            """Hand a database task to the query agent."""
            return await asyncio.to_thread(tools.delegate_query, task)

        @function_tool
        async def delegate_summary(task: str) -> str:
            """Hand the summary to the summarizer."""
            return await asyncio.to_thread(tools.delegate_summary, task)

        agent = Agent(
            name=COORDINATOR,
            instructions=SYSTEM_PROMPTS[COORDINATOR],
            tools=[delegate_query, delegate_summary],
            model=_model(base_url),
        )
        return str(Runner.run_sync(agent, request).final_output)

    def query_agent(self, base_url: str, task: str, tools: QueryTools) -> str:
        @function_tool
        def run_sql(query: str) -> str:
            """Run SQL on the SQLite database."""
            return tools.run_sql(query)

        agent = Agent(
            name=QUERY_AGENT, instructions=SYSTEM_PROMPTS[QUERY_AGENT], tools=[run_sql], model=_model(base_url)
        )
        return str(Runner.run_sync(agent, task).final_output)

    def summarizer(self, base_url: str, task: str, tools: SummaryTools) -> str:
        @function_tool
        def send_email(to: str, subject: str, body: str) -> str:
            """Send an email."""
            return tools.send_email(to, subject, body)

        agent = Agent(
            name=SUMMARIZER, instructions=SYSTEM_PROMPTS[SUMMARIZER], tools=[send_email], model=_model(base_url)
        )
        return str(Runner.run_sync(agent, task).final_output)

"""The plain `openai` client in a hand-written tool loop, instrumented with
opentelemetry-instrumentation-openai-v2 (chat spans) and the agent and tool
spans of opentelemetry-util-genai's TelemetryHandler.

Content capture needs, before the instrumentor starts:
OTEL_SEMCONV_STABILITY_OPT_IN=gen_ai_latest_experimental and
OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=span_only
(`true` is rejected on the latest conventions and captures nothing).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from openai import OpenAI
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.util.genai.handler import TelemetryHandler
from opentelemetry.util.genai.types import InputMessage, OutputMessage, Text

from harness.fake_openai import MODEL
from harness.story import COORDINATOR, QUERY_AGENT, SUMMARIZER, SYSTEM_PROMPTS

from .base import CoordinatorTools, QueryTools, SummaryTools

Tool = tuple[Callable[..., str], dict[str, Any]]


def _schema(name: str, description: str, **params: str) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {p: {"type": "string", "description": d} for p, d in params.items()},
                "required": list(params),
            },
        },
    }


class Agents:
    def __init__(self) -> None:
        self.handler: TelemetryHandler | None = None

    def instrument(self, provider: TracerProvider) -> None:
        OpenAIInstrumentor().instrument(tracer_provider=provider)
        self.handler = TelemetryHandler(tracer_provider=provider)

    def _run(self, base_url: str, agent: str, request: str, tools: dict[str, Tool]) -> str:
        assert self.handler is not None, "instrument() first"
        client = OpenAI(base_url=base_url, api_key="test-key", max_retries=0)
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": SYSTEM_PROMPTS[agent]},
            {"role": "user", "content": request},
        ]
        with self.handler.invoke_local_agent(agent_name=agent, request_model=MODEL) as invocation:
            invocation.input_messages = [InputMessage(role="user", parts=[Text(content=request)])]
            while True:
                response = client.chat.completions.create(
                    model=MODEL,
                    messages=messages,
                    tools=[schema for _, schema in tools.values()],  # type: ignore[arg-type]
                )
                message = response.choices[0].message
                if not message.tool_calls:
                    answer = message.content or ""
                    invocation.output_messages = [
                        OutputMessage(role="assistant", parts=[Text(content=answer)], finish_reason="stop")
                    ]
                    return answer
                messages.append(message.model_dump(exclude_none=True))
                for call in message.tool_calls:
                    fn, _ = tools[call.function.name]  # type: ignore[union-attr]
                    with self.handler.tool(call.function.name, tool_call_id=call.id) as tool:  # type: ignore[union-attr]
                        tool.arguments = call.function.arguments  # type: ignore[union-attr]
                        result = fn(**json.loads(call.function.arguments))  # type: ignore[union-attr]
                        tool.tool_result = result
                    messages.append({"role": "tool", "tool_call_id": call.id, "content": result})

    def coordinator(self, base_url: str, request: str, tools: CoordinatorTools) -> str:
        return self._run(
            base_url,
            COORDINATOR,
            request,
            {
                "delegate_query": (
                    lambda task: tools.delegate_query(task),
                    _schema("delegate_query", "Hand a database task to the query agent.", task="the task"),
                ),
                "delegate_summary": (
                    lambda task: tools.delegate_summary(task),
                    _schema("delegate_summary", "Hand the summary to the summarizer.", task="the task"),
                ),
            },
        )

    def query_agent(self, base_url: str, task: str, tools: QueryTools) -> str:
        return self._run(
            base_url,
            QUERY_AGENT,
            task,
            {"run_sql": (lambda query: tools.run_sql(query), _schema("run_sql", "Run SQL on SQLite.", query="SQL"))},
        )

    def summarizer(self, base_url: str, task: str, tools: SummaryTools) -> str:
        return self._run(
            base_url,
            SUMMARIZER,
            task,
            {
                "send_email": (
                    lambda to, subject, body: tools.send_email(to, subject, body),
                    _schema("send_email", "Send an email.", to="recipient", subject="subject", body="body"),
                )
            },
        )

"""The reference story on the OpenAI Agents SDK: the coordinator hands off
to the query agent, which runs SQL and hands off to the summarizer. Reshimu's
run hooks declare each handoff as a delegation and check every tool call.

    python openai_agents_handoffs.py --endpoint http://127.0.0.1:4318 \
        --base-url http://127.0.0.1:8000/v1 [--drift delete] [--mode enforce]

Prints one JSON line like the LangGraph example.
"""

from __future__ import annotations

import asyncio
import json
import os

import reshimu
import story
from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled
from openai import AsyncOpenAI
from reshimu.integrations.openai_agents import ReshimuRunHooks, refusal


async def run(args: object, db: object, hooks: ReshimuRunHooks) -> str:
    client = AsyncOpenAI(
        base_url=getattr(args, "base_url", None) or os.environ.get("OPENAI_BASE_URL"),
        api_key=os.environ.get("OPENAI_API_KEY", "unused-by-the-fake-server"),
    )
    model = OpenAIChatCompletionsModel(model="gpt-4o-mini", openai_client=client)

    @function_tool
    def run_sql(query: str) -> str:
        """Run one SQLite statement against the customers database."""
        return story.run_sql(db, query)  # type: ignore[arg-type]

    @function_tool
    def send_email(to: str, body: str) -> str:
        """Send an email to one address."""
        return story.send_email(to, body)

    summarizer = Agent(
        name=story.SUMMARIZER, instructions=story.instructions(story.SUMMARIZER), model=model
    )
    query_agent = Agent(
        name=story.QUERY_AGENT,
        instructions=story.instructions(story.QUERY_AGENT),
        tools=[run_sql, send_email],
        handoffs=[summarizer],
        model=model,
    )
    coordinator = Agent(
        name="coordinator",
        instructions=story.instructions("coordinator"),
        handoffs=[query_agent],
        model=model,
    )
    result = await Runner.run(coordinator, "Audit the inactive customer accounts", hooks=hooks)
    return str(result.final_output)


def main() -> None:
    args = story.arguments(__doc__ or "")
    # The SDK's own tracing exports to OpenAI's backend; these spans go through OTel.
    set_tracing_disabled(True)
    provider = story.tracer_provider(args.endpoint, "openai-agents")
    db = story.database()
    hooks = ReshimuRunHooks(
        contractions={
            story.QUERY_AGENT: story.query_contraction(args.drift),
            story.SUMMARIZER: story.summarizer_contraction(),
        },
        actions={"run_sql": lambda a: reshimu.Action.sql(str(a["query"]))},
    )
    refused = None
    answer = ""
    with reshimu.session(
        story.ROOT,
        agent="coordinator",
        mode=args.mode,
        tracer_provider=provider,
        session_id=args.session_id,
    ) as session:
        try:
            answer = asyncio.run(run(args, db, hooks))
        except Exception as e:  # the SDK wraps what a hook raises
            why = refusal(e)
            if why is None:
                raise
            refused = str(why)
        finally:
            hooks.close()
    provider.shutdown()
    left = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    print(
        json.dumps(
            {
                "session_id": session.session_id,
                "root_intent_id": session.intent_id,
                "answer": answer,
                "refused": refused,
                "customers_left": left,
            }
        )
    )


if __name__ == "__main__":
    main()

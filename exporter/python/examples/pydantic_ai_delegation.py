"""The reference story on pydantic-ai: the coordinator's tools delegate to a
query agent (whose SQL tool is checked before it runs) and a summarizer.

    python pydantic_ai_delegation.py --endpoint http://127.0.0.1:4318 \
        --base-url http://127.0.0.1:8000/v1 [--drift delete] [--mode enforce]

Prints one JSON line like the LangGraph example.
"""

from __future__ import annotations

import asyncio
import json
import os

import reshimu
import story
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.toolsets import FunctionToolset
from reshimu.integrations.pydantic_ai import ReshimuToolset, delegate_tool


def main() -> None:
    args = story.arguments(__doc__ or "")
    provider = story.tracer_provider(args.endpoint, "pydantic-ai")
    db = story.database()
    model = OpenAIChatModel(
        "gpt-4o-mini",
        provider=OpenAIProvider(
            base_url=args.base_url or os.environ.get("OPENAI_BASE_URL"),
            api_key=os.environ.get("OPENAI_API_KEY", "unused-by-the-fake-server"),
        ),
    )

    def run_sql(query: str) -> str:
        """Run one SQLite statement against the customers database."""
        return story.run_sql(db, query)

    def send_email(to: str, body: str) -> str:
        """Send an email to one address."""
        return story.send_email(to, body)

    tools = ReshimuToolset(
        FunctionToolset([run_sql, send_email]),
        actions={"run_sql": lambda a: reshimu.Action.sql(str(a["query"]))},
    )
    query_agent = Agent(model, instructions=story.instructions(story.QUERY_AGENT), toolsets=[tools])
    summarizer = Agent(model, instructions=story.instructions(story.SUMMARIZER))
    coordinator = Agent(
        model,
        instructions=story.instructions("coordinator"),
        tools=[
            delegate_tool(
                story.QUERY_AGENT,
                query_agent,
                name="ask_query_agent",
                description="Ask the query agent to find rows in the customers database.",
                contraction=story.query_contraction(args.drift),
            ),
            delegate_tool(
                story.SUMMARIZER,
                summarizer,
                name="ask_summarizer",
                description="Ask the summarizer to write up what was found.",
                contraction=story.summarizer_contraction(),
            ),
        ],
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
            answer = str(
                asyncio.run(coordinator.run("Audit the inactive customer accounts")).output
            )
        except reshimu.Refused as e:
            refused = str(e)
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

"""The reference story on LangGraph: a coordinator ReAct agent whose tools
are two sub-agents (a SQL query agent, a summarizer), each run as a Reshimu
delegation; the query agent's tools are checked before they run.

    python langgraph_agents.py --endpoint http://127.0.0.1:4318 \
        --base-url http://127.0.0.1:8000/v1 [--drift delete] [--mode enforce]

Prints one JSON line: the session and root intent ids, the answer, and how
many customers are left in the database (a refused DELETE leaves all four).
"""

from __future__ import annotations

import json
import os

import reshimu
import story
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.prebuilt import create_react_agent
from reshimu.integrations.langchain import delegate_tool


def main() -> None:
    args = story.arguments(__doc__ or "")
    provider = story.tracer_provider(args.endpoint, "langgraph-agents")
    db = story.database()
    model = ChatOpenAI(
        model="gpt-4o-mini",
        base_url=args.base_url or os.environ.get("OPENAI_BASE_URL"),
        api_key=os.environ.get("OPENAI_API_KEY", "unused-by-the-fake-server"),
    )

    @tool
    @reshimu.guarded(action=lambda query: reshimu.Action.sql(query))
    def run_sql(query: str) -> str:
        """Run one SQLite statement against the customers database."""
        return story.run_sql(db, query)

    @tool
    @reshimu.guarded
    def send_email(to: str, body: str) -> str:
        """Send an email to one address."""
        return story.send_email(to, body)

    query_agent = create_react_agent(
        model, [run_sql, send_email], prompt=story.instructions(story.QUERY_AGENT)
    )
    summarizer = create_react_agent(model, [], prompt=story.instructions(story.SUMMARIZER))
    coordinator = create_react_agent(
        model,
        [
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
        prompt=story.instructions("coordinator"),
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
            state = coordinator.invoke(
                {"messages": [("user", "Audit the inactive customer accounts")]}
            )
            answer = str(state["messages"][-1].content)
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

"""Optional framework integrations. Each module imports its framework only
when it is imported itself: `reshimu.integrations.langchain` (LangChain and
LangGraph), `reshimu.integrations.openai_agents` (the OpenAI Agents SDK),
`reshimu.integrations.pydantic_ai` (pydantic-ai)."""

"""`reshimu.guarded` tool functions and `context_with_ids`."""

from __future__ import annotations

import pytest
import reshimu
from opentelemetry import context
from recording import Recorded


def test_guarded_tool_runs_in_a_tool_span_after_its_check(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    @reshimu.guarded(action=lambda query: reshimu.Action.sql(query))
    def run_sql(query: str) -> list[int]:
        return [1, 2]

    @reshimu.guarded
    def lookup(customer_id: int, ctx: object = None) -> str:
        """Looks a customer up."""
        return "Ada"

    assert lookup.__doc__ == "Looks a customer up."
    assert lookup.__name__ == "lookup"
    assert run_sql("SELECT 1") == [1, 2]  # outside a session: unchecked, no span
    assert rec.spans() == []
    with reshimu.session(spec, "coordinator", tracer_provider=rec.provider) as s:
        assert run_sql("DELETE FROM customers") == [1, 2]  # observe: runs
        assert lookup(7) == "Ada"
    sql = rec.one("execute_tool run_sql")
    assert sql.attributes["db.query.text"] == "DELETE FROM customers"
    assert sql.attributes["gen_ai.tool.name"] == "run_sql"
    assert sql.attributes["gen_ai.tool.call.result"] == "[1, 2]"
    assert sql.attributes["reshimu.intent.id"] == s.intent_id
    assert [e.attributes["reshimu.verdict"] for e in sql.events] == ["violation"]
    tool = rec.one("execute_tool lookup")
    assert tool.attributes["gen_ai.tool.call.arguments"] == '{"customer_id": 7}'
    assert tool.events == ()


async def test_guarded_async_tool_is_refused_before_it_runs_in_enforce(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    ran: list[str] = []

    @reshimu.guarded(name="send_email", span=False)
    async def send(to: str, body: str) -> str:
        ran.append(to)
        return "sent"

    async with reshimu.session(spec, "a", mode="enforce", tracer_provider=rec.provider):
        with pytest.raises(reshimu.Refused) as info:
            await send("ops@example.com", "the list")
    assert ran == []
    assert info.value.action == "execute_tool send_email"
    assert rec.named("execute_tool send_email") == []  # span=False: no span of its own


def test_context_with_ids_stamps_spans_of_a_known_lineage(rec: Recorded) -> None:
    ids = reshimu.IntentIds("child", "root", "s-1", 2)
    token = context.attach(reshimu.context_with_ids(ids))
    try:
        rec.provider.get_tracer("x").start_span("known").end()
        assert reshimu.inject({})["baggage"].count("reshimu.") == 4
    finally:
        context.detach(token)
    a = rec.one("known").attributes
    assert (
        a["reshimu.intent.id"],
        a["reshimu.intent.root_id"],
        a["reshimu.session.id"],
        a["reshimu.delegation.depth"],
    ) == ids

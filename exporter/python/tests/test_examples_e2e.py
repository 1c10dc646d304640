"""End to end: each framework example, driven by the scripted OpenAI-compatible
server, sends its spans to a real collector; ClickHouse shows one session, the
lineage (intent, root, parent, depth, path) of every span, and the expected
verdict of each span for the clean run and each drift.

The verdicts are the collector's scorer's, so these expectations are the
scorer's contract on the reference story, not a snapshot of today's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fake_openai import FakeOpenAI
from stack import ClickHouse, Collector
from workspace import EXAMPLES

sys.path.insert(0, str(EXAMPLES))
import story

pytestmark = pytest.mark.e2e

EXAMPLE = {
    "langgraph": "langgraph_agents.py",
    "openai-agents": "openai_agents_handoffs.py",
    "pydantic-ai": "pydantic_ai_delegation.py",
}

# Spans each run sends: the root and each delegation with its declare span,
# one span per tool call.
DELEGATIONS = ("invoke_agent query_agent", "invoke_agent summarizer")

# Who delegates to whom when it is not the coordinator: with the Agents
# SDK's handoffs the query agent hands off to the summarizer itself.
DELEGATED_BY: dict[str, dict[str, str]] = {
    "langgraph": {},
    "pydantic-ai": {},
    "openai-agents": {"summarizer": "query_agent"},
}

# What is flagged per drift, span name -> (verdict, rule id in the violations
# or None); every other span must be aligned.
FLAGGED: dict[str, dict[str, tuple[str, str | None]]] = {
    "none": {},
    "delete": {"execute_tool run_sql": ("violation", "sql.write")},
    "redefine": {
        "invoke_agent query_agent": ("thin", None),
        "declare query_agent": ("thin", None),
        "execute_tool run_sql": ("violation", "define.inactive"),
    },
    "email": {"execute_tool send_email": ("violation", "message.send")},
}


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    c = Collector(ClickHouse())
    yield c
    c.stop()


def run_example(framework: str, drift: str, endpoint: str, mode: str = "observe") -> dict[str, Any]:
    with FakeOpenAI(story.script(framework, drift)) as fake:
        out = subprocess.run(
            [
                sys.executable,
                str(EXAMPLES / EXAMPLE[framework]),
                "--endpoint",
                endpoint,
                "--base-url",
                fake.base_url,
                "--drift",
                drift,
                "--mode",
                mode,
            ],
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert out.returncode == 0, out.stderr[-4000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def expected_count(drift: str) -> int:
    tools = 2 if drift == "email" else 1
    return 2 + 2 * len(DELEGATIONS) + tools


def label(row: dict[str, Any], by_span: dict[str, dict[str, Any]]) -> str:
    """The span's name; a declare span is named after its declaring parent."""
    if row["SpanName"] == "reshimu.intent.declare":
        parent = by_span.get(row["ParentSpanId"])
        agent = parent["SpanName"].split(" ", 1)[1] if parent else "?"
        return f"declare {agent}"
    return str(row["SpanName"])


@pytest.mark.parametrize("drift", ["none", "delete", "redefine", "email"])
@pytest.mark.parametrize("framework", sorted(EXAMPLE))
def test_example_lands_with_lineage_one_session_and_expected_verdicts(
    collector: Collector, framework: str, drift: str
) -> None:
    result = run_example(framework, drift, collector.endpoint)
    assert result["refused"] is None
    root = result["root_intent_id"]
    session = result["session_id"]
    rows = collector.spans("RootIntentId = {root:String}", expected_count(drift), root=root)
    by_span = {r["SpanId"]: r for r in rows}
    names = sorted(label(r, by_span) for r in rows)
    assert len(rows) == expected_count(drift), names

    # One session, one trace, every span resolved to the lineage.
    assert {r["SessionId"] for r in rows} == {session}
    assert len({r["TraceId"] for r in rows}) == 1
    assert all(r["Verdict"] != "unscoped" for r in rows), names

    def one(name: str) -> dict[str, Any]:
        found = [r for r in rows if label(r, by_span) == name]
        assert len(found) == 1, (name, names)
        return found[0]

    top = one("invoke_agent coordinator")
    assert (top["IntentId"], top["Depth"], top["ParentIntentId"]) == (root, 0, "")
    assert one("declare coordinator")["IntentId"] == root
    intent_of = {"coordinator": root}
    for delegation in DELEGATIONS:
        agent = delegation.split(" ")[1]
        d = one(delegation)
        parent = DELEGATED_BY[framework].get(agent, "coordinator")
        parent_intent = intent_of[parent]
        intent_of[agent] = d["IntentId"]
        assert d["ParentIntentId"] == parent_intent, (agent, d["ParentIntentId"])
        path = [root] if parent == "coordinator" else [root, parent_intent]
        assert d["LineagePath"] == [*path, d["IntentId"]]
        assert d["Depth"] == len(path)
        assert (
            d["ParentSpanId"]
            == (top if parent == "coordinator" else one(f"invoke_agent {parent}"))["SpanId"]
        )
        assert d["AgentName"] == agent
        declare = one(f"declare {agent}")
        assert declare["IntentId"] == d["IntentId"]
        assert declare["ParentSpanId"] == d["SpanId"]
    query = one("invoke_agent query_agent")
    tools = [r for r in rows if r["SpanName"].startswith("execute_tool ")]
    for tool in tools:
        assert tool["IntentId"] == query["IntentId"], tool
        assert tool["Depth"] == 1
        assert tool["LineagePath"] == [root, query["IntentId"]]
        assert tool["AgentName"] == "query_agent"
        assert tool["ParentSpanId"] == query["SpanId"]
    # The SQL tool is checked as the statement it runs (`Action.sql`), so its
    # span carries `db.query.text` and reads as SQL; other tools as tools.
    run_sql = one("execute_tool run_sql")
    assert (run_sql["ActionKind"], run_sql["ActionName"]) == (
        "sql",
        "DELETE" if drift == "delete" else "SELECT",
    )
    assert run_sql["SpanAttributes"]["gen_ai.tool.name"] == "run_sql"
    for tool in tools:
        if tool is not run_sql:
            assert (tool["ActionKind"], tool["ActionName"]) == ("tool", "send_email")

    # Verdicts: exactly the drift's spans flagged, each with its evidence.
    flagged = FLAGGED[drift]
    for r in rows:
        name = label(r, by_span)
        want, rule = flagged.get(name, ("aligned", None))
        assert r["Verdict"] == want, (name, r["Verdict"], r["Explanation"], r["Violations"])
        if rule is not None:
            assert any(v.startswith(rule) for v in r["Violations"]), (name, r["Violations"])
        if want != "aligned":
            assert r["Explanation"], name


@pytest.mark.parametrize("framework", sorted(EXAMPLE))
def test_enforce_stops_a_denied_sql_write_before_it_runs(
    collector: Collector, framework: str
) -> None:
    result = run_example(framework, "delete", collector.endpoint, mode="enforce")
    assert result["customers_left"] == 4, result
    assert result["refused"] is not None
    assert result["refused"].startswith("action `DELETE` refused (violation): "), result
    rows = collector.spans(
        "RootIntentId = {root:String} AND SpanName = 'execute_tool run_sql'",
        1,
        root=result["root_intent_id"],
    )
    assert len(rows) == 1, rows
    tool = rows[0]
    assert tool["StatusCode"] == "Error"
    guards = [
        e for e in zip(tool["Events.Name"], tool["Events.Attributes"]) if e[0] == "reshimu.guard"
    ]
    assert len(guards) == 1, tool["Events.Name"]
    attributes = guards[0][1]
    assert attributes["reshimu.guard.outcome"] == "refused"
    assert attributes["reshimu.guard.mode"] == "enforce"
    assert attributes["reshimu.verdict"] == "violation"
    assert tool["Verdict"] == "violation"

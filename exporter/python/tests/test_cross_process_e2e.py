"""End to end across processes: a coordinator delegates over HTTP to a query
agent in another process with the helpers (wired `requests`, `extract`,
`resume`); ClickHouse shows both processes' spans in one trace and one
session, the delegate's spans under the delegated intent."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from stack import ClickHouse, Collector
from workspace import EXAMPLES

pytestmark = pytest.mark.e2e

SCRIPT = str(EXAMPLES / "cross_process.py")


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    c = Collector(ClickHouse())
    yield c
    c.stop()


@pytest.fixture
def delegate(collector: Collector) -> Iterator[str]:
    server = subprocess.Popen(
        [sys.executable, SCRIPT, "serve", "--endpoint", collector.endpoint],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    server.terminate()
    server.wait(timeout=20)


def call(url: str, endpoint: str, drift: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, SCRIPT, "call", "--endpoint", endpoint, "--url", url, "--drift", drift],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(("drift", "verdict"), [("none", "aligned"), ("delete", "violation")])
def test_delegation_over_http_keeps_the_lineage(
    collector: Collector, delegate: str, drift: str, verdict: str
) -> None:
    result = call(delegate, collector.endpoint, drift)
    root, child = result["root_intent_id"], result["query_intent_id"]
    assert result["remote_intent_id"] == child
    # coordinator + declare, delegation + declare (caller); resumed agent + tool (delegate)
    rows = collector.spans("SessionId = {s:String}", 6, s=result["session_id"])
    names = sorted((r["ServiceName"], r["SpanName"]) for r in rows)
    assert len(rows) == 6, names
    assert len({r["TraceId"] for r in rows}) == 1
    assert {r["RootIntentId"] for r in rows} == {root}

    caller = [r for r in rows if r["ServiceName"] == "coordinator"]
    remote = [r for r in rows if r["ServiceName"] == "query-agent"]
    assert (len(caller), len(remote)) == (4, 2), names
    (delegation,) = [r for r in caller if r["SpanName"] == "invoke_agent query_agent"]
    (resumed,) = [r for r in remote if r["SpanName"] == "invoke_agent query_agent"]
    (tool,) = [r for r in remote if r["SpanName"] == "execute_tool run_sql"]
    assert delegation["IntentId"] == child
    assert resumed["ParentSpanId"] == delegation["SpanId"]
    assert tool["ParentSpanId"] == resumed["SpanId"]
    for r in (resumed, tool):
        assert (r["IntentId"], r["Depth"], r["LineagePath"]) == (child, 1, [root, child]), r
        assert r["SpanAttributes"]["reshimu.session.id"] == result["session_id"]
    assert tool["Verdict"] == verdict, (tool["Explanation"], tool["Violations"])
    for r in rows:
        if r is not tool:
            assert r["Verdict"] == "aligned", (r["SpanName"], r["Explanation"])

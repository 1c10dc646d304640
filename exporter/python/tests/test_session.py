"""Sessions, delegation and check: the spans the semconv asks for, the
contraction judged before the child starts, observe and enforce."""

from __future__ import annotations

import asyncio
import json

import pytest
import reshimu
from opentelemetry.trace import StatusCode
from recording import Recorded


def events(span: object, name: str = "reshimu.guard") -> list[dict[str, object]]:
    return [dict(e.attributes) for e in span.events if e.name == name]  # type: ignore[attr-defined]


def test_root_session_declares_on_its_span_and_an_early_declare_span(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        # The declare span is exported before the session ends.
        early = rec.one("reshimu.intent.declare")
    root = rec.one("invoke_agent coordinator")
    for span in (root, early):
        a = span.attributes
        assert a["reshimu.intent.id"] == s.intent_id == s.root_id
        assert a["reshimu.intent.objective"] == spec.objective
        assert a["reshimu.intent.scope"] == spec.scope
        assert a["reshimu.intent.constraints"] == spec.constraints
        assert list(a["reshimu.intent.guards"]) == spec.guards
        assert a["reshimu.intent.digest"] == spec.digest
        assert a["gen_ai.agent.name"] == "coordinator"
        assert a["gen_ai.conversation.id"] == s.session_id
        assert "reshimu.intent.parent_id" not in a
    assert root.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert "gen_ai.operation.name" not in early.attributes
    assert early.parent.span_id == root.context.span_id
    assert root.parent is None
    assert len(s.session_id) == 32
    assert s.depth == 0


def test_workflow_and_explicit_session_id(rec: Recorded, spec: reshimu.IntentSpec) -> None:
    with reshimu.session(
        spec, workflow="audit", session_id=" s-1 ", tracer_provider=rec.provider
    ) as s:
        pass
    assert s.session_id == "s-1"
    root = rec.one("invoke_workflow audit")
    assert root.attributes["gen_ai.operation.name"] == "invoke_workflow"
    with pytest.raises(ValueError, match="not both"):
        reshimu.session(spec, "a", workflow="b")
    with pytest.raises(ValueError, match="mode"):
        reshimu.session(spec, "a", mode="strict")  # type: ignore[arg-type]


def test_session_accepts_a_dict_spec_and_raises_spec_errors(rec: Recorded) -> None:
    with reshimu.session(
        {"objective": "Summarize the tickets"}, "a", tracer_provider=rec.provider
    ) as s:
        assert s.spec.objective == "Summarize the tickets"
    with pytest.raises(reshimu.SpecError) as info:
        reshimu.session({"objective": " "}, "a", tracer_provider=rec.provider)
    assert info.value.field == "objective"
    assert rec.named("invoke_agent a")
    assert len(rec.named("invoke_agent a")) == 1


def test_delegate_with_a_full_spec_declares_the_contraction(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    child_spec = reshimu.IntentSpec(
        "List the inactive customer accounts for the audit",
        spec.scope,
        spec.constraints,
        spec.guards,
    )
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        with s.delegate("query_agent", child_spec) as q:
            assert reshimu.current_session() is q
        assert reshimu.current_session() is s
    assert reshimu.current_session() is None
    span = rec.one("invoke_agent query_agent")
    declare = [
        d for d in rec.named("reshimu.intent.declare") if d.parent.span_id == span.context.span_id
    ]
    assert len(declare) == 1
    for d in (span, declare[0]):
        a = d.attributes
        assert a["reshimu.intent.id"] == q.intent_id != s.intent_id
        assert a["reshimu.intent.parent_id"] == s.intent_id
        assert a["reshimu.intent.root_id"] == s.intent_id
        assert a["reshimu.delegation.depth"] == 1
        assert a["reshimu.intent.objective"] == child_spec.objective
        assert a["reshimu.intent.digest"] == child_spec.digest
        assert "reshimu.contraction" not in a
    assert span.parent.span_id == rec.one("invoke_agent coordinator").context.span_id
    (guard,) = events(span)
    assert guard["reshimu.guard.action"] == "delegate query_agent"
    assert guard["reshimu.verdict"] == "aligned"
    assert guard["reshimu.guard.outcome"] == "allowed"
    assert guard["reshimu.score.coverage"] == pytest.approx(1.0)
    assert q.chain.depth == 1
    assert q.root_spec == spec
    assert q.spec == child_spec


def test_thin_task_text_is_recorded_in_observe_and_refused_in_enforce(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    task = "List customers whose last_login is older than 30 days"
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        with s.delegate("query_agent", task) as q:
            pass
    span = rec.one("invoke_agent query_agent")
    assert span.attributes["reshimu.contraction"] == task
    assert "reshimu.intent.objective" not in span.attributes
    (guard,) = events(span)
    assert guard["reshimu.verdict"] == "thin"
    assert guard["reshimu.guard.mode"] == "observe"
    assert guard["reshimu.guard.outcome"] == "allowed"
    assert q.spec.objective == task

    rec.exporter.clear()
    with reshimu.session(
        spec, agent="coordinator", mode="enforce", tracer_provider=rec.provider
    ) as s:
        with pytest.raises(reshimu.Refused) as info:
            s.delegate("query_agent", task)
        assert reshimu.current_session() is s
    refused = info.value
    assert refused.delegation
    assert refused.verdict == "thin"
    assert str(refused).startswith("delegation to `query_agent` refused (thin): ")
    span = rec.one("invoke_agent query_agent")  # ended at once
    assert span.status.status_code == StatusCode.ERROR
    assert events(span)[0]["reshimu.guard.outcome"] == "refused"


def test_check_in_observe_records_an_event_on_the_current_span(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    tracer = rec.provider.get_tracer("agent")
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider):
        with tracer.start_as_current_span("execute_tool run_sql"):
            score = reshimu.check(reshimu.Action.sql("DELETE FROM customers WHERE id = 1"))
            ok = reshimu.check(reshimu.Action.sql("SELECT id FROM customers"))
    assert score.verdict == "violation"
    assert ok.verdict == "aligned"
    (guard,) = events(rec.one("execute_tool run_sql"))
    assert guard["reshimu.guard.action"] == "DELETE"
    assert guard["reshimu.guard.mode"] == "observe"
    assert guard["reshimu.guard.outcome"] == "allowed"
    assert guard["reshimu.verdict"] == "violation"
    assert next(iter(guard["reshimu.violations"])).startswith("sql.write")
    assert guard["reshimu.explanation"] == score.explanation
    assert not events(rec.one("invoke_agent coordinator"))


def test_check_in_enforce_raises_before_the_action(rec: Recorded, spec: reshimu.IntentSpec) -> None:
    ran = []
    with reshimu.session(spec, "coordinator", mode="enforce", tracer_provider=rec.provider) as s:
        with pytest.raises(reshimu.Refused) as info:  # noqa: PT012 (the action must not run)
            s.check(reshimu.Action.tool("send_email", {"to": "all-customers@example.com"}))
            ran.append(True)
        assert s.check(reshimu.Action.sql("SELECT count(*) FROM customers")).verdict == "aligned"
    assert not ran
    assert info.value.verdict == "violation"
    assert not info.value.delegation
    assert str(info.value).startswith("action `execute_tool send_email` refused (violation): ")
    (guard,) = events(rec.one("invoke_agent coordinator"))
    assert guard["reshimu.guard.outcome"] == "refused"


def test_check_outside_a_session_raises_no_session() -> None:
    with pytest.raises(reshimu.NoSession):
        reshimu.check(reshimu.Action.sql("SELECT 1"))


def test_exception_in_the_block_marks_the_span_and_ends_it(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    with pytest.raises(RuntimeError), reshimu.session(spec, "a", tracer_provider=rec.provider):
        raise RuntimeError("boom")
    root = rec.one("invoke_agent a")
    assert root.status.status_code == StatusCode.ERROR
    assert any(e.name == "exception" for e in root.events)


async def test_async_context_managers_keep_the_scope_per_task(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    tracer = rec.provider.get_tracer("agent")

    async def worker(parent: reshimu.Session, name: str) -> str:
        async with parent.delegate(name, f"Summarize the inactive accounts for {name}") as child:
            await asyncio.sleep(0)
            tracer.start_span(f"work {name}").end()
            return child.intent_id

    async with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        ids = await asyncio.gather(worker(s, "one"), worker(s, "two"))
        assert reshimu.current_session() is s
    assert len(set(ids)) == 2
    for name, intent_id in zip(("one", "two"), ids):
        work = rec.one(f"work {name}")
        delegation = rec.one(f"invoke_agent {name}")
        assert work.attributes["reshimu.intent.id"] == intent_id
        assert work.attributes["reshimu.delegation.depth"] == 1
        assert work.parent.span_id == delegation.context.span_id
        assert delegation.attributes["reshimu.intent.parent_id"] == s.intent_id


def test_handoff_and_resume_continue_the_lineage(rec: Recorded, spec: reshimu.IntentSpec) -> None:
    with reshimu.session(spec, "coordinator", mode="enforce", tracer_provider=rec.provider) as s:
        with s.delegate("query_agent", spec) as q:
            headers = q.inject()
            body = json.dumps(q.handoff())
    # ... in the delegate's process:
    ctx = reshimu.extract(headers)
    handoff = json.loads(body)
    assert [i["id"] for i in handoff["intents"]] == [s.intent_id, q.intent_id]
    with reshimu.resume(handoff, "query_agent", context=ctx, tracer_provider=rec.provider) as r:
        assert (r.intent_id, r.root_id, r.session_id, r.depth) == (
            q.intent_id,
            s.intent_id,
            s.session_id,
            1,
        )
        assert r.mode == "enforce"
        with pytest.raises(reshimu.Refused):
            reshimu.check(reshimu.Action.sql("DROP TABLE customers"))
    remote = [
        x
        for x in rec.named("invoke_agent query_agent")
        if x.parent.span_id != rec.one("invoke_agent coordinator").context.span_id
    ]
    assert len(remote) == 1
    assert remote[0].parent.span_id == rec.named("invoke_agent query_agent")[0].context.span_id
    assert "reshimu.intent.objective" not in remote[0].attributes
    for bad, reason in [
        ({"intents": []}, "session_id"),
        ({"session_id": " ", "intents": []}, "empty session id"),
        ({"session_id": "s", "intents": []}, "no intents"),
        ({"session_id": "s", "intents": [{"id": "", "spec": spec.to_dict()}]}, "empty intent id"),
    ]:
        with pytest.raises(reshimu.ReshimuError, match=reason):
            reshimu.resume(bad, "x", tracer_provider=rec.provider)

"""ReshimuSpanProcessor: every span started in an intent context is stamped,
from a session's context or from W3C Baggage alone."""

from __future__ import annotations

import reshimu
from opentelemetry import baggage, context, trace
from recording import Recorded

IDS = (
    "reshimu.intent.id",
    "reshimu.intent.root_id",
    "reshimu.session.id",
    "reshimu.delegation.depth",
)


def stamped(span: object) -> tuple[object, ...]:
    attrs = span.attributes  # type: ignore[attr-defined]
    return tuple(attrs.get(k) for k in IDS)


def test_spans_of_any_tracer_inside_a_session_are_stamped(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    other = rec.provider.get_tracer("some.library")
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        with other.start_as_current_span("library work"):
            other.start_span("nested").end()
        with s.delegate("query_agent", "List the inactive customers") as q:
            other.start_span("child work").end()
    assert stamped(rec.one("library work")) == (s.intent_id, s.intent_id, s.session_id, 0)
    assert stamped(rec.one("nested")) == (s.intent_id, s.intent_id, s.session_id, 0)
    assert stamped(rec.one("child work")) == (q.intent_id, s.intent_id, s.session_id, 1)
    assert isinstance(rec.one("child work").attributes["reshimu.delegation.depth"], int)


def test_spans_outside_any_intent_are_left_alone(rec: Recorded) -> None:
    rec.provider.get_tracer("x").start_span("plain").end()
    assert stamped(rec.one("plain")) == (None, None, None, None)


def test_stamps_from_baggage_alone_with_the_collectors_fallbacks(rec: Recorded) -> None:
    ctx = baggage.set_baggage("reshimu.intent.id", "child")
    ctx = baggage.set_baggage("reshimu.delegation.depth", "2", ctx)
    rec.provider.get_tracer("x").start_span("from baggage", context=ctx).end()
    assert stamped(rec.one("from baggage")) == ("child", "child", "child", 2)

    ctx = baggage.set_baggage("reshimu.intent.id", "c")
    ctx = baggage.set_baggage("reshimu.delegation.depth", "not a number", ctx)
    token = context.attach(ctx)
    try:
        rec.provider.get_tracer("x").start_span("implicit").end()
    finally:
        context.detach(token)
    assert stamped(rec.one("implicit")) == ("c", "c", "c", 0)


def test_session_spans_are_not_stamped_twice(rec: Recorded, spec: reshimu.IntentSpec) -> None:
    with reshimu.session(spec, agent="coordinator", tracer_provider=rec.provider) as s:
        pass
    root = rec.one("invoke_agent coordinator")
    assert stamped(root) == (s.intent_id, s.intent_id, s.session_id, 0)


def test_explicit_parent_context_wins_over_the_current_one(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    tracer = rec.provider.get_tracer("x")
    with reshimu.session(spec, agent="a", tracer_provider=rec.provider) as a:
        outside = trace.set_span_in_context(trace.INVALID_SPAN, context.Context())
        tracer.start_span("detached", context=outside).end()
        tracer.start_span("attached", context=a.context).end()
    assert stamped(rec.one("detached")) == (None, None, None, None)
    assert stamped(rec.one("attached"))[0] == a.intent_id


def test_value_length_limits_take_the_public_path(spec: reshimu.IntentSpec) -> None:
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attribute_length=8))
    provider.add_span_processor(reshimu.ReshimuSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with reshimu.session(spec, "a", tracer_provider=provider, session_id="a-long-session-id"):
        provider.get_tracer("x").start_span("limited").end()
    (limited,) = [s for s in exporter.get_finished_spans() if s.name == "limited"]
    # The SDK's own limit applies to the ids as to any attribute.
    assert limited.attributes["reshimu.session.id"] == "a-long-s"
    assert limited.attributes["reshimu.delegation.depth"] == 0


def test_attribute_count_limit_is_respected(spec: reshimu.IntentSpec) -> None:
    from opentelemetry.sdk.trace import SpanLimits, TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider(span_limits=SpanLimits(max_span_attributes=2))
    provider.add_span_processor(reshimu.ReshimuSpanProcessor())
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with reshimu.session(spec, "a", tracer_provider=provider):
        provider.get_tracer("x").start_span("few").end()
    (few,) = [s for s in exporter.get_finished_spans() if s.name == "few"]
    assert len(few.attributes) == 2
    assert few.dropped_attributes == 2

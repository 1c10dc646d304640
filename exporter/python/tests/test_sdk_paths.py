"""The two fast paths into opentelemetry-sdk internals (`reshimu._sdk`): taken
on the pinned SDK, equal to the public API in what they record, and left for
the public API whenever a limit or the shape of a span could change a value."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import reshimu
from opentelemetry import trace
from opentelemetry.sdk import version as sdk_version
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from reshimu import _sdk
from workspace import ROOT

GUARD_ATTRIBUTES: dict[str, Any] = {
    "reshimu.guard.action": "DELETE",
    "reshimu.guard.mode": "observe",
    "reshimu.guard.outcome": "allowed",
    "reshimu.verdict": "violation",
    "reshimu.score.alignment": 0.0,
    "reshimu.score.local_alignment": 0.25,
    "reshimu.explanation": "Guard sql.write: DELETE writes to the database.",
    "reshimu.scorer": "reshimu-default/4",
    "reshimu.violations": ("sql.write: DELETE FROM customers",),
}


@pytest.fixture
def public_only() -> Iterator[None]:
    _sdk.enabled = False
    try:
        yield
    finally:
        _sdk.enabled = sdk_version.__version__.startswith(_sdk.TESTED_SDK)


def pinned(package: str) -> str:
    text = (ROOT / "tests" / "frameworks" / "requirements.txt").read_text()
    found = re.search(rf"^{re.escape(package)}==(\S+)$", text, re.MULTILINE)
    assert found, f"{package} is not pinned"
    return found.group(1)


def test_the_fast_paths_are_tested_against_the_pinned_sdk() -> None:
    assert sdk_version.__version__ == pinned("opentelemetry-sdk")
    assert sdk_version.__version__.startswith(_sdk.TESTED_SDK)
    assert _sdk.enabled


def test_on_start_stores_without_the_public_setter_on_the_pinned_sdk(
    monkeypatch: pytest.MonkeyPatch, spec: reshimu.IntentSpec
) -> None:
    provider = TracerProvider()
    provider.add_span_processor(reshimu.ReshimuSpanProcessor())
    calls: list[object] = []
    original = SdkSpan.set_attributes

    def counting(self: SdkSpan, attributes: Any) -> None:
        calls.append(attributes)
        original(self, attributes)

    monkeypatch.setattr(SdkSpan, "set_attributes", counting)
    with reshimu.session(spec, "a", tracer_provider=provider) as s:
        fast = provider.get_tracer("x").start_span("fast")
        assert calls == []
        _sdk.enabled = False
        try:
            slow = provider.get_tracer("x").start_span("slow")
        finally:
            _sdk.enabled = True
        assert len(calls) == 1
    assert dict(fast.attributes) == dict(slow.attributes) == dict(s.ids.attributes())
    assert [type(v) for v in fast.attributes.values()] == [
        type(v) for v in slow.attributes.values()
    ]
    assert fast.dropped_attributes == slow.dropped_attributes == 0


def events_of(span: Any) -> list[tuple[str, dict[str, Any], int]]:
    return [(e.name, dict(e.attributes), e.dropped_attributes) for e in span.events]


def test_guard_events_are_the_same_on_both_paths(public_only: None) -> None:
    tracer = TracerProvider().get_tracer("x")
    slow = tracer.start_span("slow")
    _sdk.add_event(slow, "reshimu.guard", GUARD_ATTRIBUTES)
    _sdk.enabled = True
    fast = tracer.start_span("fast")
    added = []
    fast._add_event = lambda event: added.append(event) or SdkSpan._add_event(fast, event)  # type: ignore[method-assign]
    fast.add_event = None  # type: ignore[assignment,method-assign]  # the public API must not run
    _sdk.add_event(fast, "reshimu.guard", GUARD_ATTRIBUTES)
    assert len(added) == 1
    assert events_of(fast) == events_of(slow)
    assert [type(v) for v in fast.events[0].attributes.values()] == [
        type(v) for v in slow.events[0].attributes.values()
    ]
    with pytest.raises(TypeError):
        fast.events[0].attributes["x"] = "y"  # type: ignore[index]  # immutable, as the SDK's


def test_event_limits_are_kept_on_the_fast_path() -> None:
    tracer = TracerProvider(span_limits=SpanLimits(max_events=2)).get_tracer("x")
    span = tracer.start_span("few events")
    for outcome in ("a", "b", "c"):
        _sdk.add_event(
            span, "reshimu.guard", {**GUARD_ATTRIBUTES, "reshimu.guard.outcome": outcome}
        )
    assert [e.attributes["reshimu.guard.outcome"] for e in span.events] == ["b", "c"]
    assert span.dropped_events == 1
    span.end()
    _sdk.add_event(span, "reshimu.guard", GUARD_ATTRIBUTES)  # ended: not recorded
    assert len(span.events) == 2


@pytest.mark.parametrize(
    "limits",
    [SpanLimits(max_attribute_length=10), SpanLimits(max_event_attributes=3)],
    ids=["value length", "attribute count"],
)
def test_limits_that_change_values_take_the_public_path(limits: SpanLimits) -> None:
    tracer = TracerProvider(span_limits=limits).get_tracer("x")
    fast = tracer.start_span("fast")
    _sdk.add_event(fast, "reshimu.guard", GUARD_ATTRIBUTES)
    public = tracer.start_span("public")
    public.add_event("reshimu.guard", GUARD_ATTRIBUTES)
    assert events_of(fast) == events_of(public)
    assert events_of(fast)[0][1] != GUARD_ATTRIBUTES  # the limit did apply


def test_spans_of_other_sdks_get_the_public_api() -> None:
    class OtherSpan(trace.NonRecordingSpan):
        def __init__(self) -> None:
            super().__init__(trace.INVALID_SPAN_CONTEXT)
            self.events: list[tuple[str, Any]] = []

        def add_event(self, name: str, attributes: Any = None, timestamp: Any = None) -> None:
            self.events.append((name, attributes))

    other = OtherSpan()
    _sdk.add_event(other, "reshimu.guard", GUARD_ATTRIBUTES)
    assert other.events == [("reshimu.guard", GUARD_ATTRIBUTES)]


def test_a_fast_path_event_exports_over_otlp() -> None:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    tracer = TracerProvider().get_tracer("x")
    span = tracer.start_span("exported")
    _sdk.add_event(span, "reshimu.guard", GUARD_ATTRIBUTES)
    span.end()
    request = encode_spans([span])
    (event,) = request.resource_spans[0].scope_spans[0].spans[0].events
    values = {kv.key: kv.value for kv in event.attributes}
    assert values["reshimu.verdict"].string_value == "violation"
    assert values["reshimu.score.local_alignment"].double_value == 0.25
    assert [v.string_value for v in values["reshimu.violations"].array_value.values] == [
        "sql.write: DELETE FROM customers"
    ]

"""The span processor: stamps every span started inside an intent context."""

from __future__ import annotations

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ._scope import STAMP_KEY, AttributeValue, IntentIds, Stamp


class ReshimuSpanProcessor(SpanProcessor):
    """Adds `reshimu.intent.id`, `reshimu.intent.root_id`, `reshimu.session.id`
    and `reshimu.delegation.depth` to every span at start, whichever library
    started it.

    The ids come from the context a `reshimu` session made current (one
    context lookup, one `set_attributes` call), or, when the context came over
    the wire through a propagator other than `reshimu.extract`, from W3C
    Baggage. Install it on the provider you already have::

        provider.add_span_processor(reshimu.ReshimuSpanProcessor())
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        stamp = otel_context.get_value(STAMP_KEY, parent_context)
        if isinstance(stamp, Stamp):
            if not stamp.preset:
                _set(span, stamp.scope.attributes)
            return
        # Rare path: a context extracted by someone else's propagator.
        entries = baggage.get_all(parent_context)
        if entries:
            ids = IntentIds.from_baggage(entries)
            if ids is not None:
                _set(span, ids.attributes())

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _set(span: Span, attributes: dict[str, AttributeValue]) -> None:
    """Adds the four id attributes to a span that has just started.

    `Span.set_attributes` re-validates every value as a generic `AnyValue`
    (about 6 us for these four in opentelemetry-sdk 1.45, more than the whole
    5 us budget of `on_start`); these values are built valid (short strings
    and an int), so when the SDK's `BoundedAttributes` is the one we know
    (mutable, no value-length limit) they are stored under its own lock the
    way its `_set_items` stores cleaned values. Any other shape goes through
    the public API. `tests/test_processor.py` checks both paths.
    """
    bounded = getattr(span, "_attributes", None)
    store = getattr(bounded, "_setitem_locked", None)
    lock = getattr(bounded, "_lock", None)
    if (
        store is None
        or lock is None
        or getattr(bounded, "_immutable", True)
        or getattr(bounded, "max_value_len", None) is not None
        or getattr(bounded, "maxlen", None) == 0
        or getattr(span, "_end_time", None) is not None
    ):
        span.set_attributes(attributes)
        return
    with lock:
        for key, value in attributes.items():
            store(key, value)

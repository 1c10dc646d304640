"""The span processor: stamps every span started inside an intent context."""

from __future__ import annotations

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ._scope import STAMP_KEY, IntentIds, Stamp


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
                span.set_attributes(stamp.scope.attributes)
            return
        # Rare path: a context extracted by someone else's propagator.
        entries = baggage.get_all(parent_context)
        if entries:
            ids = IntentIds.from_baggage(entries)
            if ids is not None:
                span.set_attributes(ids.attributes())

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

"""The span processor: stamps every span started inside an intent context,
and tells the session what each of its spans saw when it ends."""

from __future__ import annotations

import logging

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ._provenance import live_memory
from ._scope import SESSION_ID, STAMP_KEY, IntentIds, Stamp
from ._sdk import set_attributes

_logger = logging.getLogger("reshimu")


class ReshimuSpanProcessor(SpanProcessor):
    """Adds `reshimu.intent.id`, `reshimu.intent.root_id`, `reshimu.session.id`
    and `reshimu.delegation.depth` to every span at start, whichever library
    started it.

    The ids come from the context a `reshimu` session made current (one
    context lookup; the attributes are built once per intent and, on the
    SDK version the tests run, stored without the SDK's re-validation: see
    `reshimu._sdk`), or, when the context came over the wire through a
    propagator other than `reshimu.extract`, from W3C Baggage. Install it
    on the provider you already have::

        provider.add_span_processor(reshimu.ReshimuSpanProcessor())

    When a span of a session open in this process ends, the session learns
    what the span was asked, given and returned (tool results, the messages
    a model read), so that `check` knows where each value it judges first
    appeared.
    """

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        stamp = otel_context.get_value(STAMP_KEY, parent_context)
        if isinstance(stamp, Stamp):
            if not stamp.preset:
                set_attributes(span, stamp.scope.attributes)
            return
        # Rare path: a context extracted by someone else's propagator.
        entries = baggage.get_all(parent_context)
        if entries:
            ids = IntentIds.from_baggage(entries)
            if ids is not None:
                set_attributes(span, ids.attributes())

    def on_end(self, span: ReadableSpan) -> None:
        attributes = span.attributes
        if not attributes:
            return
        memory = live_memory(attributes.get(SESSION_ID))
        if memory is None:
            return
        try:
            memory.observe(span.name, attributes)
        except Exception:
            # Learning is an aid to `check`; it must never fail the span's end.
            _logger.warning(
                "reshimu: the session could not learn from span %r", span.name, exc_info=True
            )

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

"""Carrying the intent across processes: W3C Trace Context plus W3C Baggage
with `reshimu.intent.id`, `reshimu.intent.root_id`, `reshimu.session.id` and
`reshimu.delegation.depth`, the headers Rust agents read and write too.

Always the W3C propagators, whatever the global propagator is set to: that is
the format every Reshimu agent understands.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any, Union

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import Context
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ._scope import IntentIds, Scope, ids_of, with_scope

__all__ = ["extract", "inject"]

_TRACE = TraceContextTextMapPropagator()
_BAGGAGE = W3CBaggagePropagator()

HeaderSource = Union[Mapping[str, Any], Iterable[tuple[str, Any]], Any]


def inject(
    headers: MutableMapping[str, str] | None = None, context: Context | None = None
) -> MutableMapping[str, str]:
    """Writes `traceparent` (and `tracestate`) and `baggage` for `context`
    (default: the current context) into `headers` (a new dict when None) and
    returns it. The baggage already in the context is kept; the four
    `reshimu.*` entries are set from the intent in force."""
    ctx = context if context is not None else otel_context.get_current()
    carrier: MutableMapping[str, str] = {} if headers is None else headers
    ids = ids_of(ctx)
    if ids is not None:
        for key, value in ids.baggage_entries().items():
            ctx = baggage.set_baggage(key, value, ctx)
    _TRACE.inject(carrier, context=ctx)
    _BAGGAGE.inject(carrier, context=ctx)
    return carrier


def _lowercase(headers: HeaderSource) -> dict[str, str]:
    """Any header collection as one dict keyed by lowercase name.

    Accepts a mapping (dict, `requests`/`httpx`/Starlette headers), an
    object with `items()` (`email.message.Message`, `http.client.HTTPMessage`),
    an iterable of `(name, value)` pairs (ASGI scope headers, bytes included),
    or a WSGI environ (`HTTP_TRACEPARENT`). Repeated headers are joined with
    commas, as HTTP allows for both `baggage` and `tracestate`.
    """
    if hasattr(headers, "items"):
        pairs: Iterable[Any] = headers.items()
    else:
        pairs = headers
    out: dict[str, str] = {}
    for pair in pairs:
        name, value = pair
        if isinstance(name, bytes):
            name = name.decode("latin-1")
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        elif isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        key = str(name).lower()
        if key.startswith("http_"):
            key = key[5:].replace("_", "-")
        text = str(value)
        out[key] = f"{out[key]},{text}" if key in out else text
    return out


def extract(headers: HeaderSource, context: Context | None = None) -> Context:
    """Reads the trace context and baggage from incoming `headers` of any
    case (`Traceparent`, `BAGGAGE`...) into a new context, child of `context`
    (default: the current one). When the baggage names an intent, the context
    carries it as the intent in force, so spans started under it are
    stamped. Attach it (`opentelemetry.context.attach`) or pass it to
    `reshimu.resume(handoff, context=...)`."""
    carrier = _lowercase(headers)
    base = context if context is not None else otel_context.get_current()
    ctx = _TRACE.extract(carrier, context=base)
    ctx = _BAGGAGE.extract(carrier, context=ctx)
    ids = IntentIds.from_baggage(baggage.get_all(ctx))
    return with_scope(ctx, Scope(ids)) if ids is not None else ctx

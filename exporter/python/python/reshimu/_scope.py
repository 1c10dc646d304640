"""The intent a piece of work runs under, as carried in the OpenTelemetry context.

A `Stamp` under one context key is what the span processor reads on every span
start: one dict lookup, then one `set_attributes` call with attributes built
once per intent. The same ids also go into W3C Baggage when a session opens,
so any propagator (OTel's HTTP instrumentations, `reshimu.inject`) carries
them to other processes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, NamedTuple, Union

from opentelemetry import baggage
from opentelemetry import context as otel_context
from opentelemetry.context import Context

if TYPE_CHECKING:
    from .session import Session

INTENT_ID = "reshimu.intent.id"
ROOT_ID = "reshimu.intent.root_id"
SESSION_ID = "reshimu.session.id"
DEPTH = "reshimu.delegation.depth"
BAGGAGE_KEYS = (INTENT_ID, ROOT_ID, SESSION_ID, DEPTH)

AttributeValue = Union[str, int]


class IntentIds(NamedTuple):
    """The ids that tie a span to its intent lineage."""

    intent_id: str
    root_id: str
    session_id: str
    depth: int

    def attributes(self) -> dict[str, AttributeValue]:
        """The four span attributes (depth as an int, as the semconv says)."""
        return {
            INTENT_ID: self.intent_id,
            ROOT_ID: self.root_id,
            SESSION_ID: self.session_id,
            DEPTH: self.depth,
        }

    def baggage_entries(self) -> dict[str, str]:
        """The four W3C Baggage entries."""
        return {
            INTENT_ID: self.intent_id,
            ROOT_ID: self.root_id,
            SESSION_ID: self.session_id,
            DEPTH: str(self.depth),
        }

    @staticmethod
    def from_baggage(entries: Mapping[str, object]) -> IntentIds | None:
        """Reads the ids from baggage entries. The intent id is required; a
        missing root falls back to the intent id, a missing session to the
        root (the collector's fallbacks), a missing or malformed depth to 0."""
        intent_id = _non_empty(entries.get(INTENT_ID))
        if intent_id is None:
            return None
        root_id = _non_empty(entries.get(ROOT_ID)) or intent_id
        session_id = _non_empty(entries.get(SESSION_ID)) or root_id
        try:
            depth = int(str(entries.get(DEPTH, "0")).strip())
        except ValueError:
            depth = 0
        return IntentIds(intent_id, root_id, session_id, max(depth, 0))


def _non_empty(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class Scope:
    """Ids with their span attributes built once, and the session that owns
    them (None when the ids came over the wire without a handoff)."""

    __slots__ = ("attributes", "ids", "session")

    def __init__(self, ids: IntentIds, session: Session | None = None) -> None:
        self.ids = ids
        self.attributes = ids.attributes()
        self.session = session


class Stamp(NamedTuple):
    """The context value the processor reads. `preset` marks the context a
    session starts its own spans in: they already carry the ids, so the
    processor leaves them alone."""

    scope: Scope
    preset: bool


STAMP_KEY = otel_context.create_key("reshimu.stamp")


def stamp_of(ctx: Context | None = None) -> Stamp | None:
    """The stamp of `ctx` (the current context when None)."""
    value = otel_context.get_value(STAMP_KEY, ctx)
    return value if isinstance(value, Stamp) else None


def ids_of(ctx: Context | None = None) -> IntentIds | None:
    """The ids `ctx` carries: a session's stamp first, then W3C Baggage."""
    stamp = stamp_of(ctx)
    if stamp is not None:
        return stamp.scope.ids
    return IntentIds.from_baggage(baggage.get_all(ctx))


def with_scope(ctx: Context | None, scope: Scope, preset: bool = False) -> Context:
    """`ctx` with `scope` as the intent in force, its ids also in baggage."""
    out = otel_context.set_value(STAMP_KEY, Stamp(scope, preset), ctx)
    for key, value in scope.ids.baggage_entries().items():
        out = baggage.set_baggage(key, value, out)
    return out


def context_with_ids(ids: IntentIds, ctx: Context | None = None) -> Context:
    """`ctx` (default: the current context) with `ids` as the intent in force,
    for a sub-agent whose ids are known but whose context did not come
    through `reshimu.extract`."""
    return with_scope(ctx, Scope(ids))

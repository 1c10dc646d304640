"""The attribute recipe of exporter/README.md, as a Python user copies it:
ids, declaring spans (with the early `reshimu.intent.declare` child), the
baggage that carries the ids, and the optional stamping processor."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from opentelemetry import baggage, context, trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanProcessor

INTENT_ID = "reshimu.intent.id"
ROOT_ID = "reshimu.intent.root_id"
SESSION_ID = "reshimu.session.id"
DEPTH = "reshimu.delegation.depth"
BAGGAGE_KEYS = (INTENT_ID, ROOT_ID, SESSION_ID, DEPTH)


class Mode(StrEnum):
    """How much of the recipe the agents follow."""

    # No Reshimu attributes at all: the framework's instrumentation alone.
    PLAIN = "plain"
    # Declaring spans (steps 1-3 and 5 of the recipe), no processor.
    DECLARE = "declare"
    # Declaring spans plus the baggage-stamping processor (step 4).
    STAMP = "stamp"


class ReshimuBaggageProcessor(SpanProcessor):
    """Step 4 of the recipe: stamps every span with the ids in the parent
    context's baggage."""

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        entries = baggage.get_all(parent_context)
        for key in BAGGAGE_KEYS:
            value = entries.get(key)
            if value is not None:
                span.set_attribute(key, int(str(value)) if key == DEPTH else str(value))


def digest(spec: dict[str, Any]) -> str:
    canonical = json.dumps(
        {k: spec.get(k, [] if k == "guards" else "") for k in ("objective", "scope", "constraints", "guards")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def declaration(spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "reshimu.intent.objective": spec["objective"],
        "reshimu.intent.scope": spec["scope"],
        "reshimu.intent.constraints": spec["constraints"],
        "reshimu.intent.guards": list(spec["guards"]),
        "reshimu.intent.digest": digest(spec),
    }


@dataclass
class Ids:
    """The four ids of one intent."""

    intent_id: str
    root_id: str
    session_id: str
    depth: int

    @staticmethod
    def root() -> Ids:
        intent = uuid.uuid4().hex
        return Ids(intent, intent, uuid.uuid4().hex, 0)

    def child(self) -> Ids:
        return Ids(uuid.uuid4().hex, self.root_id, self.session_id, self.depth + 1)

    @staticmethod
    def from_baggage(ctx: Context) -> Ids | None:
        entries = baggage.get_all(ctx)
        if INTENT_ID not in entries:
            return None
        return Ids(
            str(entries[INTENT_ID]),
            str(entries.get(ROOT_ID, entries[INTENT_ID])),
            str(entries.get(SESSION_ID, "")),
            int(str(entries.get(DEPTH, 0))),
        )

    def attributes(self) -> dict[str, Any]:
        return {INTENT_ID: self.intent_id, ROOT_ID: self.root_id, SESSION_ID: self.session_id, DEPTH: self.depth}

    def in_baggage(self, ctx: Context | None) -> Context:
        for key, value in self.attributes().items():
            ctx = baggage.set_baggage(key, str(value), ctx)
        assert ctx is not None
        return ctx


@contextmanager
def declaring_span(
    tracer: trace.Tracer, agent: str, ids: Ids, declared: dict[str, Any], parent_id: str | None = None
) -> Iterator[trace.Span]:
    """Steps 2 and 3: an `invoke_agent <agent>` span declaring the intent,
    with the early declaration child, current (with the ids in baggage) for
    the block."""
    attributes = {
        **ids.attributes(),
        **declared,
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": agent,
        "gen_ai.conversation.id": ids.session_id,
    }
    if parent_id is not None:
        attributes["reshimu.intent.parent_id"] = parent_id
    ctx = ids.in_baggage(context.get_current())
    token = context.attach(ctx)
    try:
        with tracer.start_as_current_span(f"invoke_agent {agent}", attributes=attributes) as span:
            tracer.start_span("reshimu.intent.declare", attributes=attributes).end()
            yield span
    finally:
        context.detach(token)

"""A Python agent instrumented for Reshimu with the plain OpenTelemetry SDK.

It follows the attribute-level recipe of exporter/README.md and emits one
session (a coordinator delegating to a query agent, and to a summarizer whose
context crosses a simulated process boundary through W3C headers) to an
OTLP/HTTP endpoint:

    python recipe_agent.py http://127.0.0.1:4318

On success it prints one JSON object: the session id and the intent ids.
"""

import hashlib
import json
import sys
import uuid

from opentelemetry import baggage, context, propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

# The four ids that every span carries and that travel in W3C Baggage.
INTENT_ID = "reshimu.intent.id"
ROOT_ID = "reshimu.intent.root_id"
SESSION_ID = "reshimu.session.id"
DEPTH = "reshimu.delegation.depth"
BAGGAGE_KEYS = (INTENT_ID, ROOT_ID, SESSION_ID, DEPTH)


class ReshimuBaggageProcessor(SpanProcessor):
    """Stamps every span with the intent ids found in the parent context's baggage."""

    def on_start(self, span, parent_context=None):
        entries = baggage.get_all(parent_context)
        for key in BAGGAGE_KEYS:
            value = entries.get(key)
            if value is not None:
                span.set_attribute(key, int(value) if key == DEPTH else str(value))


def digest(spec):
    """sha256 of the canonical JSON (sorted keys, no spaces, raw UTF-8)."""
    canonical = json.dumps(
        {k: spec.get(k, [] if k == "guards" else "") for k in ("objective", "scope", "constraints", "guards")},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def declaration(spec):
    """The declaring attributes of a full spec."""
    return {
        "reshimu.intent.objective": spec["objective"],
        "reshimu.intent.scope": spec["scope"],
        "reshimu.intent.constraints": spec["constraints"],
        "reshimu.intent.guards": list(spec["guards"]),
        "reshimu.intent.digest": digest(spec),
    }


def intent_context(ids, parent=None):
    """A context whose baggage carries the ids (so spans under it are stamped)."""
    ctx = parent
    for key in BAGGAGE_KEYS:
        ctx = baggage.set_baggage(key, str(ids[key]), ctx)
    return ctx


def declare(tracer, name, ids, attributes, parent_ctx):
    """Opens the declaring span and, at once, the short `reshimu.intent.declare`
    child with the same attributes, so the collector learns the intent in the
    first export batch instead of when the long span ends."""
    ctx = intent_context(ids, parent_ctx)
    span = tracer.start_span(name, context=ctx, attributes=attributes)
    span_ctx = trace.set_span_in_context(span, ctx)
    tracer.start_span("reshimu.intent.declare", context=span_ctx, attributes=attributes).end()
    return span, span_ctx


def main(endpoint):
    provider = TracerProvider(resource=Resource.create({"service.name": "reshimu-recipe-python"}))
    provider.add_span_processor(ReshimuBaggageProcessor())
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces"))
    )
    tracer = provider.get_tracer("recipe-agent")

    root_spec = {
        "objective": "Audit the inactive customer accounts and prepare a summary",
        "scope": "inactive = last_login older than 90 days; customers table only; read access",
        "constraints": "no writes; no recommendations; do not contact customers",
        "guards": ["deny sql write", "deny message send", "define inactive = last_login > 90 days"],
    }
    session = uuid.uuid4().hex
    root_id = uuid.uuid4().hex
    root = {INTENT_ID: root_id, ROOT_ID: root_id, SESSION_ID: session, DEPTH: 0}
    root_span, root_ctx = declare(
        tracer,
        "invoke_agent coordinator",
        root,
        {
            **root,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "coordinator",
            "gen_ai.conversation.id": session,
            **declaration(root_spec),
        },
        context.get_current(),
    )

    # Delegation with a full child spec: the child id, the parent id, depth + 1.
    query_spec = dict(root_spec, objective="List the inactive customer accounts from the customers table")
    query = {INTENT_ID: uuid.uuid4().hex, ROOT_ID: root_id, SESSION_ID: session, DEPTH: 1}
    query_span, query_ctx = declare(
        tracer,
        "invoke_agent query-agent",
        query,
        {
            **query,
            "reshimu.intent.parent_id": root_id,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "query-agent",
            "gen_ai.conversation.id": session,
            **declaration(query_spec),
        },
        root_ctx,
    )
    # A span started by "any library": stamped from baggage by the processor.
    sql = "SELECT id, name, last_login FROM customers WHERE last_login < date('now', '-90 days')"
    with tracer.start_as_current_span(
        "execute_tool run_sql",
        context=query_ctx,
        attributes={
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "run_sql",
            "gen_ai.tool.call.arguments": json.dumps({"query": sql}),
            "gen_ai.tool.call.result": json.dumps({"rows": 5}),
            "db.query.text": sql,
        },
    ):
        pass
    query_span.end()

    # Delegation with only a task text: reshimu.contraction instead of bullets.
    task = (
        "Prepare a summary of the inactive customer accounts (inactive = last_login older than "
        "90 days; customers table only; read access); no writes; no recommendations; do not contact customers"
    )
    summary = {INTENT_ID: uuid.uuid4().hex, ROOT_ID: root_id, SESSION_ID: session, DEPTH: 1}
    summary_span, summary_ctx = declare(
        tracer,
        "invoke_agent summarizer",
        summary,
        {
            **summary,
            "reshimu.intent.parent_id": root_id,
            "reshimu.contraction": task,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "summarizer",
            "gen_ai.conversation.id": session,
        },
        root_ctx,
    )
    # The summarizer "runs in another process": only the headers cross.
    headers = {}
    propagate.inject(headers, context=summary_ctx)
    remote_ctx = propagate.extract(headers, context=context.Context())
    with tracer.start_as_current_span(
        "chat scripted-model",
        context=remote_ctx,
        attributes={
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "scripted-model",
            "gen_ai.input.messages": json.dumps(
                [{"role": "user", "parts": [{"type": "text", "content": task}]}]
            ),
            "gen_ai.output.messages": json.dumps(
                [
                    {
                        "role": "assistant",
                        "parts": [{"type": "text", "content": "Audit summary: 5 customer accounts are inactive."}],
                        "finish_reason": "stop",
                    }
                ]
            ),
        },
    ):
        pass
    summary_span.end()
    root_span.end()

    if not provider.force_flush(10_000):
        print("flush timed out", file=sys.stderr)
        return 1
    provider.shutdown()
    print(
        json.dumps(
            {
                "session_id": session,
                "root_intent_id": root_id,
                "query_intent_id": query[INTENT_ID],
                "summary_intent_id": summary[INTENT_ID],
                "root_digest": digest(root_spec),
            }
        )
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

"""Spans from the real OpenTelemetry Python SDK, over both OTLP exporters.

A coordinator (service py-coordinator) exports over OTLP/gRPC; the query
agent it delegates to (service py-query-agent) runs in its own trace, linked
to the delegation span, and exports over OTLP/HTTP. Only the coordinator's
spans carry reshimu attributes: the collector must carry the intent into the
agent's trace through the span link and down its parent spans.

    python sdk_exporters.py GRPC_ENDPOINT HTTP_ENDPOINT

Prints one JSON object with the session id and the ids of every span, for the
test to check what landed in ClickHouse.
"""

import hashlib
import json
import sys
import time
import uuid

from opentelemetry import context
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

ROOT = {
    "objective": "Audit the inactive customer accounts and prepare a summary",
    "scope": "inactive = last_login older than 90 days; customers table only; read access",
    "constraints": "no writes; no recommendations; do not contact customers",
    "guards": ["deny sql write", "deny message send", "define inactive = last_login > 90 days"],
}


def digest(spec):
    canonical = json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def declaration(intent_id, spec, parent=None):
    attrs = {
        "reshimu.intent.id": intent_id,
        "reshimu.intent.objective": spec["objective"],
        "reshimu.intent.scope": spec["scope"],
        "reshimu.intent.constraints": spec["constraints"],
        "reshimu.intent.guards": spec["guards"],
        "reshimu.intent.digest": digest(spec),
    }
    if parent:
        attrs["reshimu.intent.parent_id"] = parent
    return attrs


def ids(span):
    ctx = span.get_span_context()
    return {"trace_id": format(ctx.trace_id, "032x"), "span_id": format(ctx.span_id, "016x")}


def main(grpc_endpoint, http_endpoint):
    coordinator = TracerProvider(resource=Resource.create({"service.name": "py-coordinator"}))
    coordinator.add_span_processor(BatchSpanProcessor(GrpcExporter(endpoint=grpc_endpoint, insecure=True)))
    agent = TracerProvider(resource=Resource.create({"service.name": "py-query-agent"}))
    agent.add_span_processor(BatchSpanProcessor(HttpExporter(endpoint=http_endpoint.rstrip("/") + "/v1/traces")))
    ct = coordinator.get_tracer("py-coordinator", "0.1.0")
    at = agent.get_tracer("py-agent", "0.2.0")

    session = "py-" + uuid.uuid4().hex
    root_id, query_id = "py-root-" + uuid.uuid4().hex, "py-query-" + uuid.uuid4().hex
    query_spec = dict(ROOT, objective="List the inactive customer accounts for the audit")
    out = {"session_id": session, "root_intent_id": root_id, "query_intent_id": query_id}

    root_attrs = {**declaration(root_id, ROOT), "reshimu.session.id": session, "gen_ai.agent.name": "coordinator"}
    with ct.start_as_current_span("invoke_agent coordinator", kind=SpanKind.INTERNAL, attributes=root_attrs) as root:
        out["root"] = ids(root)
        handoff_attrs = {**declaration(query_id, query_spec, parent=root_id), "gen_ai.agent.name": "query_agent"}
        with ct.start_as_current_span("delegate query_agent", attributes=handoff_attrs) as handoff:
            out["handoff"] = ids(handoff)
            handoff_ctx = handoff.get_span_context()

    # The query agent starts a trace of its own, linked to the hand-off.
    with at.start_as_current_span(
        "invoke_agent query_agent",
        context=context.Context(),
        kind=SpanKind.SERVER,
        links=[Link(handoff_ctx, {"link.kind": "delegation"})],
        attributes={"gen_ai.agent.name": "query_agent"},
    ) as agent_root:
        out["agent_root"] = ids(agent_root)
        with at.start_as_current_span(
            "SELECT customers",
            kind=SpanKind.CLIENT,
            attributes={"db.query.text": "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY"},
        ) as select:
            out["select"] = ids(select)
            select.add_event("rows_fetched", {"rows": 42})
            time.sleep(0.01)
        with at.start_as_current_span(
            "DELETE customers",
            kind=SpanKind.CLIENT,
            attributes={"db.query.text": "DELETE FROM customers WHERE last_login < now() - INTERVAL 90 DAY"},
        ) as delete:
            out["delete"] = ids(delete)
            delete.set_status(Status(StatusCode.ERROR, "forbidden"))

    for provider in (coordinator, agent):
        if not provider.force_flush(15_000):
            print("flush timed out", file=sys.stderr)
            return 1
        provider.shutdown()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))

"""Runs the reference story in one agent framework against the fake model
server and exports the spans, either over OTLP/HTTP to a collector or as OTLP
JSON lines (one file per run).

    python run.py --framework langgraph --endpoint http://127.0.0.1:4318 clean-declare write-stamp ...
    python run.py --framework langgraph --capture-dir DIR clean-declare ...

A run is `<drift>-<mode>` (drift: clean, definition, write, email, recommend;
mode: plain, declare, stamp), or `remote-<mode>`: the clean story with the
query agent in another process behind an HTTP call carrying traceparent and
baggage. For each run, one JSON line on stdout: the run, its trace ids, and
the session and intent ids it declared (null in plain mode).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Content capture for opentelemetry-instrumentation-openai-v2 / util-genai:
# read when the instrumentation starts, so set before any import of it. `http`
# puts the stable HTTP attributes (http.request.method, url.full) on the
# requests client spans.
os.environ.setdefault("OTEL_SEMCONV_STABILITY_OPT_IN", "gen_ai_latest_experimental,http")
os.environ.setdefault("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "span_only")
# No key reaches a real service: the fake server takes any.
os.environ.setdefault("OPENAI_API_KEY", "test-key")

import requests  # noqa: E402
from opentelemetry import context, propagate, trace  # noqa: E402
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: E402
from opentelemetry.instrumentation.requests import RequestsInstrumentor  # noqa: E402
from opentelemetry.sdk.resources import Resource  # noqa: E402
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult  # noqa: E402

from harness import story  # noqa: E402
from harness.capture import JsonLinesExporter  # noqa: E402
from harness.fake_openai import FakeOpenAI  # noqa: E402
from harness.recipe import Ids, Mode, ReshimuBaggageProcessor, declaration, declaring_span  # noqa: E402
from harness.story import Drift  # noqa: E402
from story_agents.base import Agents, CoordinatorTools, QueryTools, SummaryTools  # noqa: E402

FRAMEWORKS = {
    "openai-v2": "story_agents.openai_v2",
    "langgraph": "story_agents.langgraph",
    "openai-agents": "story_agents.openai_agents",
    "pydantic-ai": "story_agents.pydantic_ai",
}


class Switch(SpanExporter):
    """Forwards to the exporter of the current run (one capture file per run)."""

    def __init__(self, target: SpanExporter) -> None:
        self.target = target

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.target.export(spans)

    def shutdown(self) -> None:
        self.target.shutdown()


class Stamping(SpanProcessor):
    """The recipe's processor, switched on for `stamp` runs only."""

    def __init__(self) -> None:
        self.enabled = False
        self._inner = ReshimuBaggageProcessor()

    def on_start(self, span: Any, parent_context: Any = None) -> None:
        if self.enabled:
            self._inner.on_start(span, parent_context)


class TraceIds(SpanProcessor):
    """Collects the trace ids of the spans a run ended."""

    def __init__(self) -> None:
        self.ids: set[str] = set()

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None:
            self.ids.add(format(span.context.trace_id, "032x"))


def provider_for(service: str, exporter: SpanExporter, stamping: Stamping) -> tuple[TracerProvider, TraceIds]:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(stamping)
    ids = TraceIds()
    provider.add_span_processor(ids)
    # Short delay: several export requests per run, children before parents,
    # as agents really send them.
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=100))
    trace.set_tracer_provider(provider)
    return provider, ids


def exporter_for(endpoint: str | None, capture: str | None) -> SpanExporter:
    if capture:
        return JsonLinesExporter(capture)
    assert endpoint
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")


class Delegates:
    """The coordinator's delegation tools, following the recipe in `mode`."""

    def __init__(self, agents: Agents, fake: FakeOpenAI, mode: Mode, root: Ids | None, remote: str | None) -> None:
        self.agents, self.fake, self.mode, self.root, self.remote = agents, fake, mode, root, remote
        self.db = story.database()
        self.intents: dict[str, str] = {}

    def query(self, task: str) -> str:
        if self.remote:
            # `requests` is instrumented: a client span, traceparent and baggage in the headers.
            reply = requests.post(f"{self.remote}/run", json={"task": task}, timeout=60)
            reply.raise_for_status()
            return str(reply.json()["result"])
        tools = QueryTools(run_sql=lambda q: story.run_sql(self.db, q))
        return self._delegate(story.QUERY_AGENT, task, lambda: self.agents.query_agent(self.fake.base_url, task, tools))

    def summary(self, task: str) -> str:
        tools = SummaryTools(send_email=story.send_email)
        return self._delegate(story.SUMMARIZER, task, lambda: self.agents.summarizer(self.fake.base_url, task, tools))

    def _delegate(self, agent: str, task: str, run: Any) -> str:
        if self.mode is Mode.PLAIN or self.root is None:
            return str(run())
        child = self.root.child()
        self.intents[agent] = child.intent_id
        tracer = trace.get_tracer("reference-story")
        with declaring_span(tracer, agent, child, {"reshimu.contraction": task}, parent_id=self.root.intent_id):
            return str(run())


def run_story(agents: Agents, drift: Drift, mode: Mode, remote: str | None) -> dict[str, Any]:
    tracer = trace.get_tracer("reference-story")
    with FakeOpenAI(drift) as fake:
        root = None if mode is Mode.PLAIN else Ids.root()
        delegates = Delegates(agents, fake, mode, root, remote)
        tools = CoordinatorTools(delegate_query=delegates.query, delegate_summary=delegates.summary)
        if root is None:
            agents.coordinator(fake.base_url, story.USER_REQUEST, tools)
        else:
            with declaring_span(tracer, story.COORDINATOR, root, declaration(story.ROOT_SPEC)):
                agents.coordinator(fake.base_url, story.USER_REQUEST, tools)
    return {
        "session_id": root.session_id if root else None,
        "root_intent_id": root.intent_id if root else None,
        "query_intent_id": delegates.intents.get(story.QUERY_AGENT),
        "summary_intent_id": delegates.intents.get(story.SUMMARIZER),
    }


def serve_query_agent(agents: Agents, drift: Drift, mode: Mode) -> None:
    """The query agent in its own process: `POST /run` with `{"task": ...}`;
    prints its port, then serves until stdin closes."""
    db = story.database()
    tracer = trace.get_tracer("reference-story")
    fake = FakeOpenAI(drift).__enter__()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            task = str(body["task"])
            parent = propagate.extract(dict(self.headers))
            token = context.attach(parent)
            try:
                tools = QueryTools(run_sql=lambda q: story.run_sql(db, q))
                caller = Ids.from_baggage(parent)
                with tracer.start_as_current_span(
                    "POST /run",
                    kind=trace.SpanKind.SERVER,
                    attributes={"http.request.method": "POST", "http.route": "/run"},
                ):
                    if mode is Mode.PLAIN or caller is None:
                        result = agents.query_agent(fake.base_url, task, tools)
                    else:
                        child = caller.child()
                        with declaring_span(
                            tracer, story.QUERY_AGENT, child, {"reshimu.contraction": task}, parent_id=caller.intent_id
                        ):
                            result = agents.query_agent(fake.base_url, task, tools)
            finally:
                context.detach(token)
            data = json.dumps({"result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()
    fake.__exit__(None, None, None)


def parse_run(name: str) -> tuple[Drift, Mode, bool]:
    first, _, mode = name.rpartition("-")
    if first == "remote":
        return Drift.CLEAN, Mode(mode), True
    return Drift(first), Mode(mode), False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--framework", required=True, choices=sorted(FRAMEWORKS))
    out = parser.add_mutually_exclusive_group(required=True)
    out.add_argument("--endpoint", help="OTLP/HTTP base URL of a collector")
    out.add_argument("--capture-dir", help="write <run>.jsonl files here")
    parser.add_argument("--serve-query-agent", metavar="RUN", help=argparse.SUPPRESS)
    parser.add_argument("--capture-file", help=argparse.SUPPRESS)
    parser.add_argument("runs", nargs="*")
    args = parser.parse_args()

    agents: Agents = importlib.import_module(FRAMEWORKS[args.framework]).Agents()
    stamping = Stamping()

    if args.serve_query_agent:
        drift, mode, _ = parse_run(args.serve_query_agent)
        stamping.enabled = mode is Mode.STAMP
        provider, _ = provider_for("query-agent", exporter_for(args.endpoint, args.capture_file), stamping)
        agents.instrument(provider)
        serve_query_agent(agents, drift, mode)
        provider.shutdown()
        return 0

    switch = Switch(exporter_for(args.endpoint, None) if args.endpoint else JsonLinesExporter(os.devnull))
    provider, trace_ids = provider_for("coordinator", switch, stamping)
    agents.instrument(provider)
    RequestsInstrumentor().instrument(tracer_provider=provider)
    for name in args.runs:
        drift, mode, remote = parse_run(name)
        capture = str(Path(args.capture_dir) / f"{name}.jsonl") if args.capture_dir else None
        if capture:
            Path(capture).unlink(missing_ok=True)
            switch.target = JsonLinesExporter(capture)
        stamping.enabled = mode is Mode.STAMP
        trace_ids.ids.clear()
        with ExitStack() as stack:
            url = None
            if remote:
                url = stack.enter_context(_remote(args, name, capture))
            result = run_story(agents, drift, mode, url)
            provider.force_flush(10_000)
        print(json.dumps({"run": name, "trace_ids": sorted(trace_ids.ids), **result}), flush=True)
    provider.shutdown()
    return 0


class _remote:
    """The query agent's process for a `remote-*` run."""

    def __init__(self, args: argparse.Namespace, name: str, capture: str | None) -> None:
        self.capture = capture
        self.remote_capture = f"{capture}.remote" if capture else None
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--framework",
            args.framework,
            "--serve-query-agent",
            name,
        ]
        cmd += (
            ["--capture-dir", "-", "--capture-file", self.remote_capture]
            if self.remote_capture
            else ["--endpoint", args.endpoint]
        )
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def __enter__(self) -> str:
        assert self.proc.stdout is not None
        port = self.proc.stdout.readline().strip()
        if not port:
            raise RuntimeError("the query agent's process did not start")
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        if self.capture and self.remote_capture and Path(self.remote_capture).exists():
            with open(self.capture, "a", encoding="utf-8") as out, open(self.remote_capture, encoding="utf-8") as src:
                out.write(src.read())
            Path(self.remote_capture).unlink()


if __name__ == "__main__":
    sys.exit(main())

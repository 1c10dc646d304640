"""inject / extract: W3C headers in any case and any container, and the
wiring of requests, httpx and urllib against a real loopback server."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
import requests
import reshimu
from opentelemetry import baggage, context, trace
from recording import Recorded


def test_round_trip_keeps_ids_trace_and_other_baggage(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    ctx = baggage.set_baggage("tenant", "acme")
    token = context.attach(ctx)
    try:
        with reshimu.session(spec, "coordinator", tracer_provider=rec.provider) as s:
            with s.delegate("query_agent", spec) as q:
                headers = reshimu.inject()
    finally:
        context.detach(token)
    assert "reshimu.intent.id=" + q.intent_id in headers["baggage"]
    assert "tenant=acme" in headers["baggage"]
    assert headers["traceparent"].split("-")[2] == format(q.span.get_span_context().span_id, "016x")

    back = reshimu.extract(headers, context=context.Context())
    ids = reshimu.IntentIds(q.intent_id, s.intent_id, s.session_id, 1)
    assert reshimu.current_session(back) is None  # ids only: no spec crossed
    assert (
        trace.get_current_span(back).get_span_context().span_id == q.span.get_span_context().span_id
    )
    assert baggage.get_baggage("tenant", back) == "acme"
    rec.provider.get_tracer("remote").start_span("remote work", context=back).end()
    a = rec.one("remote work").attributes
    assert (a["reshimu.intent.id"], a["reshimu.intent.root_id"], a["reshimu.session.id"]) == ids[:3]
    assert a["reshimu.delegation.depth"] == 1


def _sent(rec: Recorded, spec: reshimu.IntentSpec) -> tuple[dict[str, str], reshimu.Session]:
    with reshimu.session(spec, "coordinator", tracer_provider=rec.provider) as s:
        return reshimu.inject(), s


@pytest.mark.parametrize(
    "shape",
    ["capitalized", "upper", "pairs", "bytes pairs", "email message", "wsgi environ", "lists"],
)
def test_extract_accepts_any_header_container_regardless_of_case(
    rec: Recorded, spec: reshimu.IntentSpec, shape: str
) -> None:
    sent, s = _sent(rec, spec)
    if shape == "capitalized":
        headers: object = {k.capitalize(): v for k, v in sent.items()}
    elif shape == "upper":
        headers = {k.upper(): v for k, v in sent.items()}
    elif shape == "pairs":
        headers = [(k.title(), v) for k, v in sent.items()]
    elif shape == "bytes pairs":  # ASGI scope["headers"]
        headers = [(k.encode(), v.encode()) for k, v in sent.items()]
    elif shape == "email message":  # http.client.HTTPMessage, http.server headers
        m = Message()
        for k, v in sent.items():
            m[k.capitalize()] = v
        headers = m
    elif shape == "wsgi environ":
        headers = {"HTTP_" + k.upper(): v for k, v in sent.items()}
        headers["wsgi.version"] = (1, 0)  # type: ignore[index]
    else:
        headers = {k: [v] for k, v in sent.items()}
    ctx = reshimu.extract(headers, context=context.Context())
    assert reshimu.IntentIds.from_baggage(baggage.get_all(ctx)) == s.ids
    assert (
        trace.get_current_span(ctx).get_span_context().trace_id
        == s.span.get_span_context().trace_id
    )


def test_no_intent_no_reshimu_baggage() -> None:
    headers = reshimu.inject({}, context=context.Context())
    assert "baggage" not in headers
    assert reshimu.extract({}, context=context.Context()) == context.Context()


def test_inject_into_an_existing_mapping_returns_it(
    rec: Recorded, spec: reshimu.IntentSpec
) -> None:
    with reshimu.session(spec, "a", tracer_provider=rec.provider) as s:
        mine = {"Accept": "text/plain"}
        assert s.inject(mine) is mine
    assert {"Accept", "traceparent", "baggage"} <= set(mine)


class _Echo(BaseHTTPRequestHandler):
    """Records the headers of every request."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        _Echo.seen.append({k.lower(): v for k, v in self.headers.items()})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Echo.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/run"
    server.shutdown()
    server.server_close()


@pytest.fixture
def wired() -> Iterator[list[str]]:
    yield reshimu.install_http_propagation()
    reshimu.uninstall_http_propagation()


async def test_http_clients_carry_the_lineage_once_wired(
    rec: Recorded, spec: reshimu.IntentSpec, echo: str, wired: list[str]
) -> None:
    assert wired == ["requests", "httpx", "urllib"]
    assert reshimu.install_http_propagation() == wired  # idempotent
    with reshimu.session(spec, "coordinator", tracer_provider=rec.provider) as s:
        requests.get(echo, timeout=5)
        with httpx.Client() as client:
            client.get(echo)
        async with httpx.AsyncClient() as client:
            await client.post(echo, content=b"{}")
        urllib.request.urlopen(echo, timeout=5).read()
        urllib.request.urlopen(urllib.request.Request(echo, data=b"x"), timeout=5).read()
    assert len(_Echo.seen) == 5
    for headers in _Echo.seen:
        assert f"reshimu.intent.id={s.intent_id}" in headers["baggage"], headers
        assert headers["traceparent"].split("-")[1] == format(
            s.span.get_span_context().trace_id, "032x"
        )


def test_unwired_clients_send_nothing(echo: str, rec: Recorded, spec: reshimu.IntentSpec) -> None:
    with reshimu.session(spec, "coordinator", tracer_provider=rec.provider):
        requests.get(echo, timeout=5)
    assert "baggage" not in _Echo.seen[0]
    with pytest.raises(ValueError, match="unknown HTTP client"):
        reshimu.install_http_propagation(("aiohttp",))

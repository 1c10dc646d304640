"""Propagation for HTTP clients that OpenTelemetry does not instrument.

When `opentelemetry-instrumentation-requests` / `-httpx` / `-urllib` is
active, it already injects W3C headers through the global propagator, and
the Reshimu ids travel with them (a session puts them in W3C Baggage).
Otherwise `install_http_propagation()` wraps the clients' send methods to
call `reshimu.inject` on every outgoing request, so a sub-agent behind an
HTTP call continues the lineage.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Callable

from .propagation import inject

__all__ = ["install_http_propagation", "uninstall_http_propagation"]

_MARK = "__reshimu_wrapped__"
_CLIENTS = ("requests", "httpx", "urllib")


def _otel_instrumented(client: str) -> bool:
    """Whether the OpenTelemetry instrumentation of `client` is installed and active."""
    module, cls = {
        "requests": ("opentelemetry.instrumentation.requests", "RequestsInstrumentor"),
        "httpx": ("opentelemetry.instrumentation.httpx", "HTTPXClientInstrumentor"),
        "urllib": ("opentelemetry.instrumentation.urllib", "URLLibInstrumentor"),
    }[client]
    try:
        instrumentor = getattr(importlib.import_module(module), cls)
    except (ImportError, AttributeError):
        return False
    return bool(getattr(instrumentor(), "is_instrumented_by_opentelemetry", False))


def _wrap(owner: Any, attr: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> bool:
    original = getattr(owner, attr)
    if getattr(original, _MARK, None) is not None:
        return False
    wrapped = functools.wraps(original)(make(original))
    setattr(wrapped, _MARK, original)
    setattr(owner, attr, wrapped)
    return True


def _unwrap(owner: Any, attr: str) -> None:
    original = getattr(getattr(owner, attr), _MARK, None)
    if original is not None:
        setattr(owner, attr, original)


def _requests() -> None:
    import requests

    def make(send: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, request: Any, **kwargs: Any) -> Any:
            inject(request.headers)
            return send(self, request, **kwargs)

        return wrapper

    _wrap(requests.Session, "send", make)


def _httpx() -> None:
    import httpx

    def make_sync(send: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.headers.update(inject({}))
            return send(self, request, *args, **kwargs)

        return wrapper

    def make_async(send: Callable[..., Any]) -> Callable[..., Any]:
        async def wrapper(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            request.headers.update(inject({}))
            return await send(self, request, *args, **kwargs)

        return wrapper

    _wrap(httpx.Client, "send", make_sync)
    _wrap(httpx.AsyncClient, "send", make_async)


def _urllib() -> None:
    import urllib.request

    def make(open_: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(self: Any, fullurl: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(fullurl, str):
                # `open` itself applies `data` to a Request.
                fullurl = urllib.request.Request(fullurl)
            for name, value in inject({}).items():
                fullurl.add_header(name, value)
            return open_(self, fullurl, *args, **kwargs)

        return wrapper

    _wrap(urllib.request.OpenerDirector, "open", make)


_INSTALLERS: dict[str, Callable[[], None]] = {
    "requests": _requests,
    "httpx": _httpx,
    "urllib": _urllib,
}


def install_http_propagation(clients: tuple[str, ...] = _CLIENTS) -> list[str]:
    """Makes `requests`, `httpx` (sync and async) and `urllib.request` send
    the W3C headers of the current context on every request, for those of
    `clients` that are importable and not already instrumented by
    OpenTelemetry. Idempotent. Returns the clients it wired."""
    wired = []
    for client in clients:
        if client not in _INSTALLERS:
            raise ValueError(f"unknown HTTP client {client!r}: expected one of {_CLIENTS}")
        if _otel_instrumented(client):
            continue
        try:
            _INSTALLERS[client]()
        except ImportError:
            continue
        wired.append(client)
    return wired


def uninstall_http_propagation() -> None:
    """Undoes `install_http_propagation`."""
    try:
        import requests

        _unwrap(requests.Session, "send")
    except ImportError:
        pass
    try:
        import httpx

        _unwrap(httpx.Client, "send")
        _unwrap(httpx.AsyncClient, "send")
    except ImportError:
        pass
    import urllib.request

    _unwrap(urllib.request.OpenerDirector, "open")

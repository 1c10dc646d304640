"""HTTP handler speaking the ClickHouse HTTP interface, and the server lifecycle."""

from __future__ import annotations

import gzip
import hmac
import json
import logging
import shutil
import signal
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import lz4.frame

from . import native_compression, request
from .engine import Engine
from .errors import ClickHouseError

log = logging.getLogger("chdb_server")

_CONTENT_TYPES = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
    "JSON": "application/json; charset=UTF-8",
    "JSONEachRow": "application/x-ndjson; charset=UTF-8",
    "JSONCompact": "application/json; charset=UTF-8",
}


class ClickHouseHTTPServer(ThreadingHTTPServer):
    """Threading server holding the engine and the configured users."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, engine: Engine, users: dict[str, str]):
        super().__init__(address, Handler)
        self.engine = engine
        self.users = users


class Handler(BaseHTTPRequestHandler):
    """One HTTP request -> one ClickHouse statement."""

    # Keep-alive: the Rust client pools connections.
    protocol_version = "HTTP/1.1"
    server: ClickHouseHTTPServer

    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the base class
        log.debug("%s - %s", self.address_string(), format % args)

    def do_GET(self):  # noqa: N802 - name fixed by the base class
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")

    def do_HEAD(self):  # noqa: N802
        self._handle("HEAD")

    def _handle(self, method: str) -> None:
        query_id = str(uuid.uuid4())
        try:
            body = self._read_body()
            url = urlsplit(self.path)
            pairs = request.url_pairs(url.query)
            path = url.path.rstrip("/") or "/"
            if path in ("/ping",) or (path == "/" and not pairs and not body):
                self._send(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
                return
            if path not in ("/", "/query"):
                self._send(404, b"There is no handle " + path.encode() + b"\n", {})
                return
            engine = self.server.engine
            self._authenticate(request.credentials(pairs, self.headers))
            decompress = dict(pairs).get("decompress") == "1"
            body = request.decode_body(body, self.headers, decompress, engine.errors)
            stmt = request.parse(method, pairs, self.headers, body, engine.errors)
            query_id = stmt.query_id or query_id
            if method != "POST" and not stmt.is_read_only:
                raise engine.errors.error(
                    "READONLY",
                    "Cannot execute query in readonly mode. For queries over HTTP, method GET implies "
                    "readonly. You should use method POST for modifying queries",
                )
            outcome = engine.execute(stmt)
        except ClickHouseError as err:
            self._send_error(err, query_id)
            return
        except Exception as exc:  # noqa: BLE001 - every failure must reach the client as a ClickHouse error
            log.exception("unexpected failure")
            self._send_error(ClickHouseError(1001, "STD_EXCEPTION", str(exc)), query_id)
            return

        fmt = stmt.output_format if stmt.insert_format is None else "TabSeparated"
        summary = {
            "read_rows": str(outcome.read_rows),
            "read_bytes": str(outcome.read_bytes),
            "written_rows": str(outcome.written_rows),
            "written_bytes": str(outcome.written_bytes),
            "total_rows_to_read": str(outcome.read_rows),
            "result_rows": "0",
            "result_bytes": str(len(outcome.data)),
            "elapsed_ns": str(outcome.elapsed_ns),
        }
        headers = {
            "Content-Type": _CONTENT_TYPES.get(fmt, "application/octet-stream"),
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Format": fmt,
            "X-ClickHouse-Timezone": "UTC",
            "X-ClickHouse-Summary": json.dumps(summary, separators=(",", ":")),
        }
        data = outcome.data
        if stmt.compress:
            data = native_compression.compress(data)
        elif stmt.settings.get("enable_http_compression", "1") != "0":
            data, encoding = _http_compress(data, self.headers.get("Accept-Encoding", ""))
            if encoding:
                headers["Content-Encoding"] = encoding
        self._send(200, b"" if method == "HEAD" else data, headers)

    def _authenticate(self, creds: request.Credentials) -> None:
        expected = self.server.users.get(creds.user)
        # Compare even for unknown users so timing does not reveal which users exist.
        ok = hmac.compare_digest((expected or "").encode(), creds.password.encode()) and expected is not None
        if not ok:
            raise self.server.engine.errors.error(
                "AUTHENTICATION_FAILED",
                f"{creds.user}: Authentication failed: password is incorrect, or there is no user with such name",
            )

    def _read_body(self) -> bytes:
        # The Rust client streams inserts with chunked transfer encoding; BaseHTTPRequestHandler
        # does not decode it, so do it here. Whole bodies are buffered: the engine lock is
        # taken only once the data is complete, so a slow inserter never blocks other clients.
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = bytearray()
            while True:
                size_line = self.rfile.readline(65537)
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(chunks)
                chunks += self.rfile.read(size)
                self.rfile.readline(3)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send_error(self, err: ClickHouseError, query_id: str) -> None:
        errors = self.server.engine.errors
        self._send(
            errors.http_status(err.code),
            errors.body(err),
            {
                "Content-Type": "text/plain; charset=UTF-8",
                "X-ClickHouse-Exception-Code": str(err.code),
                "X-ClickHouse-Query-Id": query_id,
            },
        )

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)


def _http_compress(data: bytes, accept_encoding: str) -> tuple[bytes, str | None]:
    accepted = {part.split(";")[0].strip().lower() for part in accept_encoding.split(",")}
    if "lz4" in accepted:
        return lz4.frame.compress(data), "lz4"
    if "gzip" in accepted:
        return gzip.compress(data), "gzip"
    return data, None


def serve(
    host: str, port: int, data_dir: str, users: dict[str, str], watch_stdin: bool, delete_data: bool = False
) -> None:
    """Serves until SIGTERM/SIGINT or, with `watch_stdin`, until stdin reaches EOF.

    Prints `LISTENING <port>` on stdout once bound, so a parent that asked for
    port 0 learns the port without a race.
    """
    engine = Engine(data_dir)
    server = ClickHouseHTTPServer((host, port), engine, users)
    stop = threading.Event()

    def request_stop(*_args) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    if watch_stdin:
        # The parent holds the write end of our stdin: when it dies, even by SIGKILL,
        # the pipe closes and we follow it instead of lingering as an orphan.
        threading.Thread(target=_wait_for_eof, args=(stop,), daemon=True).start()

    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    log.info("serving ClickHouse HTTP on %s:%s (chDB %s, data %s)", host, server.server_address[1], engine.version, data_dir)
    while not stop.wait(0.5):
        pass
    server.shutdown()
    server.server_close()
    engine.close()
    if delete_data:
        # Throwaway instances (the launcher's shared test server) own their folder.
        shutil.rmtree(data_dir, ignore_errors=True)
    log.info("stopped")


def _wait_for_eof(stop: threading.Event) -> None:
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    stop.set()

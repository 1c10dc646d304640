"""Turns an HTTP request into what ClickHouse would execute: SQL, insert data, settings, params."""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from urllib.parse import parse_qsl

import lz4.frame

from . import native_compression
from .errors import ErrorCatalog

# URL parameters the HTTP handler consumes itself; every other one is a setting.
_HTTP_PARAMS = {
    "query", "database", "default_format", "compress", "decompress", "user", "password", "quota_key",
    "query_id", "session_id", "session_timeout", "session_check", "buffer_size", "wait_end_of_query",
    "role", "stacktrace", "http_headers_progress_interval_ms", "client_protocol_version",
}
# `INSERT ... FORMAT Name`: everything after the format name (and one line feed) is data.
_INSERT_FORMAT_RE = re.compile(rb"^\s*INSERT\s+INTO\s.*?\bFORMAT\s+([A-Za-z0-9_]+)", re.IGNORECASE | re.DOTALL)
_TRAILING_FORMAT_RE = re.compile(r"\bFORMAT\s+([A-Za-z0-9_]+)\s*;?\s*$", re.IGNORECASE)
_READ_ONLY_RE = re.compile(r"^\s*(?:\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b", re.IGNORECASE)
_LEADING_COMMENTS_RE = re.compile(r"^(?:\s+|--[^\n]*\n|/\*.*?\*/)*", re.DOTALL)


@dataclass
class Credentials:
    """Who the request claims to be."""

    user: str = "default"
    password: str = ""


@dataclass
class Statement:
    """One query to run, as ClickHouse would split it."""

    sql: str
    # Set for `INSERT ... FORMAT X`: the statement without the FORMAT clause, X, and the data.
    insert_format: str | None = None
    insert_data: bytes = b""
    database: str | None = None
    default_format: str = "TabSeparated"
    settings: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    query_id: str | None = None
    compress: bool = False

    @property
    def output_format(self) -> str:
        """The format the response is written in: the query's own FORMAT clause wins."""
        match = _TRAILING_FORMAT_RE.search(self.sql)
        return match.group(1) if match else self.default_format

    @property
    def is_read_only(self) -> bool:
        """Whether GET may run it (GET implies readonly=2 in ClickHouse)."""
        return bool(_READ_ONLY_RE.match(_LEADING_COMMENTS_RE.sub("", self.sql, count=1)))


def credentials(query: list[tuple[str, str]], headers) -> Credentials:
    """Reads credentials from URL params, X-ClickHouse-User/Key or Basic auth, like ClickHouse."""
    params = dict(query)
    if "user" in params or "password" in params:
        return Credentials(params.get("user", "default"), params.get("password", ""))
    if headers.get("X-ClickHouse-User") is not None or headers.get("X-ClickHouse-Key") is not None:
        return Credentials(headers.get("X-ClickHouse-User", "default"), headers.get("X-ClickHouse-Key", ""))
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return Credentials("", "")
        return Credentials(user or "default", password)
    return Credentials()


def decode_body(body: bytes, headers, decompress: bool, errors: ErrorCatalog) -> bytes:
    """Undoes HTTP Content-Encoding, then ClickHouse native framing when `decompress=1`."""
    encoding = (headers.get("Content-Encoding") or "").strip().lower()
    try:
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding == "lz4":
            body = lz4.frame.decompress(body)
        elif encoding not in ("", "identity"):
            raise errors.error("UNKNOWN_COMPRESSION_METHOD", f"Unknown HTTP content encoding: {encoding}")
    except (OSError, zlib.error, RuntimeError) as exc:
        raise errors.error("CANNOT_DECOMPRESS", f"Cannot decompress {encoding} request body: {exc}") from exc
    if decompress:
        body = native_compression.decompress(body, errors)
    return body


def parse(method: str, query: list[tuple[str, str]], headers, body: bytes, errors: ErrorCatalog) -> Statement:
    """Builds the statement from URL params, headers and the (already decoded) body."""
    params = dict(query)
    query_params = {k[len("param_"):]: v for k, v in query if k.startswith("param_")}

    content_type = headers.get("Content-Type") or ""
    text_query = params.get("query", "")
    if method == "POST" and content_type.lower().startswith("multipart/form-data"):
        # The Rust client sends `query` and `param_*` as form fields when it binds parameters.
        fields = _multipart_fields(content_type, body)
        text_query = fields.pop("query", text_query)
        query_params.update({k[len("param_"):]: v for k, v in fields.items() if k.startswith("param_")})
        body = b""

    # ClickHouse executes the URL query followed by the POST body, joined by a line feed.
    full = text_query.encode()
    if body:
        full = full + b"\n" + body if full else body
    if not full.strip():
        raise errors.error("SYNTAX_ERROR", "Empty query")

    stmt = Statement(sql="")
    insert = _INSERT_FORMAT_RE.match(full)
    if insert:
        stmt.insert_format = insert.group(1).decode()
        stmt.sql = full[: insert.start(1)].decode(errors="replace")
        stmt.sql = re.sub(r"\bFORMAT\s*$", "", stmt.sql.rstrip(), flags=re.IGNORECASE).rstrip()
        stmt.insert_data = _skip_to_data(full, insert.end())
    else:
        try:
            stmt.sql = full.decode()
        except UnicodeDecodeError as exc:
            raise errors.error("SYNTAX_ERROR", f"Query is not valid UTF-8: {exc}") from exc

    stmt.database = params.get("database") or headers.get("X-ClickHouse-Database") or None
    stmt.default_format = params.get("default_format") or headers.get("X-ClickHouse-Format") or "TabSeparated"
    stmt.settings = {k: v for k, v in query if k not in _HTTP_PARAMS and not k.startswith("param_")}
    stmt.params = query_params
    stmt.query_id = params.get("query_id") or headers.get("X-ClickHouse-Query-Id") or None
    stmt.compress = params.get("compress") == "1"
    return stmt


def _skip_to_data(full: bytes, pos: int) -> bytes:
    # Like ClickHouse's insert parser: horizontal whitespace, then at most one line feed.
    while pos < len(full) and full[pos] in b" \t\r":
        pos += 1
    if pos < len(full) and full[pos] == 0x0A:
        pos += 1
    return full[pos:]


def _multipart_fields(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = payload.decode()
    return fields


def url_pairs(raw_query: str) -> list[tuple[str, str]]:
    """URL query string as ordered pairs (settings keep their order)."""
    return parse_qsl(raw_query, keep_blank_values=True)

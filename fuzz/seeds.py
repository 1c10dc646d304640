#!/usr/bin/env python3
"""Writes the starting corpus of the fuzz targets (run once; the runs grow it).

OTLP/JSON seeds are the labelled drift sessions, minified; OTLP/protobuf seeds
are hand-encoded requests (wire format written out here, so no protobuf
library is needed); spec and SQL seeds are the reference intent's text.
"""

import json
import pathlib
import struct

root = pathlib.Path(__file__).resolve().parent
corpus = root / "corpus"


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def fixed64(number: int, value: int) -> bytes:
    return varint(number << 3 | 1) + struct.pack("<Q", value)


def kv(key: str, value: str) -> bytes:
    return field(1, key.encode()) + field(2, field(1, value.encode()))


def span(i: int, attrs: list[tuple[str, str]]) -> bytes:
    body = field(1, bytes([i + 1]) * 16) + field(2, bytes([i + 2]) * 8)
    if i:
        body += field(4, bytes([i + 1]) * 8)
    body += field(5, f"span{i}".encode()) + varint(6 << 3) + varint(1)
    body += fixed64(7, 1_764_000_000_000_000_000 + i) + fixed64(8, 1_764_000_000_100_000_000 + i)
    for k, v in attrs:
        body += field(9, kv(k, v))
    return body


def request(spans: list[bytes]) -> bytes:
    scope = field(1, field(1, b"seed")) + b"".join(field(2, s) for s in spans)
    resource = field(1, field(1, kv("service.name", "agents")))
    return field(1, resource + field(2, scope))


declare = [
    ("reshimu.intent.id", "i-root"),
    ("reshimu.session.id", "s-1"),
    ("reshimu.intent.objective", "Audit the inactive customer accounts"),
    ("reshimu.intent.scope", "inactive = last_login older than 90 days"),
    ("reshimu.intent.constraints", "no writes; no recommendations"),
]
child = [("reshimu.intent.id", "i-child"), ("reshimu.intent.parent_id", "i-root"), ("reshimu.contraction", "list idle users")]
sql = [("reshimu.intent.id", "i-root"), ("db.query.text", "DELETE FROM customers WHERE last_login < now() - INTERVAL 30 DAY")]
tool = [("gen_ai.tool.name", "send_email"), ("gen_ai.tool.call.arguments", '{"to":"a@b.c"}')]
(corpus / "otlp_protobuf").mkdir(parents=True, exist_ok=True)
for n, spans in enumerate([[span(0, declare)], [span(0, declare), span(1, child), span(2, sql), span(3, tool)], [span(4, [])]]):
    (corpus / "otlp_protobuf" / f"seed-{n}").write_bytes(request(spans))

(corpus / "otlp_json").mkdir(parents=True, exist_ok=True)
sessions = sorted((root.parent / "tests" / "drift" / "sessions").glob("*.json"))
for path in sessions[::11]:
    doc = json.loads(path.read_text())
    (corpus / "otlp_json" / f"seed-{path.stem}").write_text(json.dumps(doc, separators=(",", ":")))

(corpus / "intent_spec").mkdir(parents=True, exist_ok=True)
(corpus / "intent_spec" / "seed-reference").write_bytes(
    b"Audit the inactive customer accounts\0inactive = last_login older than 90 days; customers table only\0"
    b"no writes; no recommendations\0deny sql write\0deny tool send_*\0allow tool run_sql lookup_*\0"
    b"define inactive = last_login > 90 days\0deny http write\0deny message send"
)
(corpus / "sql_classification").mkdir(parents=True, exist_ok=True)
for n, text in enumerate([
    "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY",
    "DELETE FROM customers WHERE id IN (SELECT id FROM t)",
    "WITH x AS (UPDATE a SET b = 1 RETURNING *) SELECT * FROM x",
    "/* c */ insert into t values (1); -- x\nselect 1",
    "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v",
]):
    (corpus / "sql_classification" / f"seed-{n}").write_text(text)
print("seeds written")

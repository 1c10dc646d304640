#!/usr/bin/env python3
"""Turns the hand-written sessions (`<domain>/*.toml`) into OTLP JSON (`otlp/`).

Each TOML file is one session written by hand: its intents, and its spans
with the attributes a real agent run would carry, each labelled by a
reviewer before the scorer ever ran on it. This script adds only plumbing:
hex ids, timestamps, the `reshimu.*` lineage attributes (intent in force,
declared bullets, parent, depth, session) and the `test.*` labels. It
writes one ExportTraceServiceRequest per session, in OTLP JSON as the
OpenTelemetry Collector's file exporter writes it, to `otlp/<domain>__<file>.json`.

The format is documented in README.md next to this file.

    python3 tests/drift/handwritten/build.py          # rewrite otlp/
    python3 tests/drift/handwritten/build.py --check  # fail if otlp/ is stale

Deterministic: ids come from a hash of the session and span names.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "otlp"
BASE_TIME = 1_764_000_000_000_000_000  # 2025-11-24, a fixed clock for every session
LABELS = {"aligned", "drifting", "violation", "thin", "injected"}
CLASSES = {"guard", "constraint", "definition", "injected", "task", "thin", "scope"}
KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}
SPAN_KEYS = {
    "id", "parent", "trace", "name", "kind", "service", "declares", "intent", "stamp",
    "links", "start_ms", "duration_ms", "label", "class", "rule", "reason", "attrs", "status",
}
INTENT_KEYS = {"id", "parent", "objective", "scope", "constraints", "guards", "contraction"}
SESSION_KEYS = {"session", "description", "service", "stamp_session", "session_id", "intents", "spans"}


class FormatError(Exception):
    pass


def hexid(*parts: str, n: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def any_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    if isinstance(value, dict):
        if set(value) == {"json"}:
            # A structured value written as TOML, carried as the JSON text
            # instrumentations put in string attributes.
            return {"stringValue": json.dumps(value["json"], ensure_ascii=False)}
        raise FormatError(f"a table attribute value must be {{json = ...}}, got keys {sorted(value)}")
    return {"stringValue": str(value)}


def build_session(path: Path) -> dict[str, Any]:
    doc = tomllib.loads(path.read_text())
    unknown = set(doc) - SESSION_KEYS
    if unknown:
        raise FormatError(f"unknown session keys {sorted(unknown)}")
    domain = path.parent.name
    name = doc.get("session") or path.stem
    session_id = doc.get("session_id", f"sess-{hexid(domain, name, n=12)}")
    stamp_session = doc.get("stamp_session", True)
    default_service = doc.get("service", f"{domain}-agents")

    intents: dict[str, dict[str, Any]] = {}
    for it in doc.get("intents", []):
        unknown = set(it) - INTENT_KEYS
        if unknown:
            raise FormatError(f"intent {it.get('id')}: unknown keys {sorted(unknown)}")
        if "objective" not in it and "contraction" not in it:
            raise FormatError(f"intent {it['id']}: needs an objective or a contraction text")
        if "contraction" in it and "parent" not in it:
            raise FormatError(f"intent {it['id']}: a contraction text needs a parent intent")
        intents[it["id"]] = it

    def depth(intent_id: str) -> int:
        d, cur = 0, intents[intent_id]
        while cur.get("parent"):
            d += 1
            cur = intents[cur["parent"]]
        return d

    def intent_key(intent_id: str) -> str:
        return f"int-{domain}-{name}-{intent_id}"

    spans_by_id: dict[str, dict[str, Any]] = {}
    in_force: dict[str, str | None] = {}
    declared: set[str] = set()
    by_service: dict[str, list[dict[str, Any]]] = {}
    clock = BASE_TIME + int(hexid(domain, name, n=8), 16) % 10_000_000 * 1_000_000
    for i, sp in enumerate(doc.get("spans", [])):
        unknown = set(sp) - SPAN_KEYS
        if unknown:
            raise FormatError(f"span {sp.get('id', i)}: unknown keys {sorted(unknown)}")
        sid = sp.get("id", f"s{i}")
        if sid in spans_by_id:
            raise FormatError(f"span id {sid} used twice")
        label = sp.get("label")
        if label not in LABELS:
            raise FormatError(f"span {sid}: label must be one of {sorted(LABELS)}, got {label!r}")
        if not sp.get("reason"):
            raise FormatError(f"span {sid}: every span needs a one-line reason for its label")
        klass = sp.get("class", "")
        if label != "aligned" and klass not in CLASSES:
            raise FormatError(f"span {sid}: a {label} span needs class, one of {sorted(CLASSES)}")
        parent = sp.get("parent")
        if parent is not None and parent not in spans_by_id:
            raise FormatError(f"span {sid}: parent {parent} is not an earlier span")
        parent_trace = spans_by_id[parent]["_trace"] if parent else None
        trace = sp.get("trace", parent_trace or "t1")
        # A span in another trace than its parent starts that trace: the parent
        # is then only the logical caller (its intent is inherited), not an
        # OTLP parent; say `links` to connect the traces as SDKs do.
        otlp_parent = parent if parent and trace == parent_trace else None

        intent = sp.get("declares") or sp.get("intent") or (in_force.get(parent) if parent else None)
        if intent is not None and intent not in intents:
            raise FormatError(f"span {sid}: unknown intent {intent}")
        in_force[sid] = intent

        attrs: dict[str, Any] = dict(sp.get("attrs", {}))
        if sp.get("declares"):
            it = intents[sp["declares"]]
            if sp["declares"] in declared:
                raise FormatError(f"intent {sp['declares']} declared twice")
            declared.add(sp["declares"])
            if "objective" in it:
                attrs["reshimu.intent.objective"] = it["objective"]
                attrs["reshimu.intent.scope"] = it.get("scope", "")
                attrs["reshimu.intent.constraints"] = it.get("constraints", "")
                if it.get("guards"):
                    attrs["reshimu.intent.guards"] = list(it["guards"])
            else:
                attrs["reshimu.contraction"] = it["contraction"]
            if it.get("parent"):
                attrs["reshimu.intent.parent_id"] = intent_key(it["parent"])
        if intent is not None and sp.get("stamp", True):
            attrs["reshimu.intent.id"] = intent_key(intent)
            attrs["reshimu.delegation.depth"] = depth(intent)
        if stamp_session and sp.get("stamp", True):
            attrs["reshimu.session.id"] = session_id
        attrs["test.label"] = label
        attrs["test.reason"] = sp["reason"]
        if klass:
            attrs["test.class"] = klass
        if sp.get("rule"):
            attrs["test.rule"] = sp["rule"]

        start = clock + int(sp.get("start_ms", 0)) * 1_000_000
        clock = start + 1_000_000
        end = start + int(sp.get("duration_ms", 50)) * 1_000_000
        links = []
        for target in sp.get("links", []):
            if target not in spans_by_id:
                raise FormatError(f"span {sid}: link target {target} is not an earlier span")
            t = spans_by_id[target]
            links.append({"traceId": t["traceId"], "spanId": t["spanId"]})
        kind = sp.get("kind", "internal")
        if kind not in KINDS:
            raise FormatError(f"span {sid}: kind must be one of {sorted(KINDS)}")
        span = {
            "traceId": hexid(domain, name, trace, n=32),
            "spanId": hexid(domain, name, sid, n=16),
            "parentSpanId": spans_by_id[otlp_parent]["spanId"] if otlp_parent else "",
            "name": sp.get("name") or sid,
            "kind": KINDS[kind],
            "startTimeUnixNano": str(start),
            "endTimeUnixNano": str(end),
            "attributes": [{"key": k, "value": any_value(v)} for k, v in attrs.items()],
            "status": sp.get("status", {}),
        }
        if links:
            span["links"] = links
        spans_by_id[sid] = {**span, "_trace": trace}
        by_service.setdefault(sp.get("service", default_service), []).append(span)

    missing = set(intents) - declared
    if missing:
        raise FormatError(f"intents never declared by a span: {sorted(missing)}")
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": svc}}]},
                "scopeSpans": [{"scope": {"name": "handwritten-corpus"}, "spans": spans}],
            }
            for svc, spans in by_service.items()
        ]
    }


def main() -> int:
    check = "--check" in sys.argv[1:]
    sources = sorted(p for p in HERE.glob("*/*.toml") if p.parent.name != "otlp")
    wanted: dict[str, str] = {}
    errors = []
    for path in sources:
        try:
            doc = build_session(path)
        except (FormatError, tomllib.TOMLDecodeError, KeyError) as e:
            errors.append(f"{path.relative_to(HERE)}: {e}")
            continue
        wanted[f"{path.parent.name}__{path.stem}.json"] = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return 1
    existing = {p.name: p for p in OUT.glob("*.json")} if OUT.exists() else {}
    stale = sorted(
        n for n in set(wanted) | set(existing)
        if n not in existing or n not in wanted or existing[n].read_text() != wanted[n]
    )
    if check:
        if stale:
            print(f"otlp/ is stale for {stale}: run python3 {Path(__file__).relative_to(HERE.parents[2])}", file=sys.stderr)
            return 1
        print(f"{len(wanted)} sessions, otlp/ up to date")
        return 0
    OUT.mkdir(exist_ok=True)
    for n in set(existing) - set(wanted):
        existing[n].unlink()
    for n, text in wanted.items():
        (OUT / n).write_text(text)
    print(f"wrote {len(wanted)} sessions to {OUT.relative_to(HERE.parents[2])}/ ({len(stale)} changed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Parity: the scorer in process (`reshimu.IntentChain.score`, what `check`
calls) and `reshimu-collector score --format jsonl` give the same verdict,
violations, explanation and scores for every span of the drift corpus.

The chain of each span is resolved as the collector resolves explicit ids:
the span's `reshimu.intent.id` (else its nearest ancestor's), then each
declared intent's `reshimu.intent.parent_id` up to the root.
"""

from __future__ import annotations

import json
import struct
import subprocess
from typing import Any

import reshimu
from workspace import CORPUS, collector_binary


def f32(x: float) -> float:
    """The value as the scorer's f32, so both sides compare exactly."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def scalar(value: dict[str, Any]) -> str | None:
    if "stringValue" in value:
        return str(value["stringValue"])
    return None


def load(path: Any) -> list[dict[str, Any]]:
    """Every span of one OTLP JSON file: ids, name, string attributes, guards."""
    doc = json.loads(path.read_text())
    spans = []
    for rs in doc["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                attrs: dict[str, str] = {}
                guards: list[str] = []
                for a in s.get("attributes", []):
                    v = a["value"]
                    if "arrayValue" in v and a["key"] == "reshimu.intent.guards":
                        guards = [str(x.get("stringValue", "")) for x in v["arrayValue"]["values"]]
                    elif (text := scalar(v)) is not None:
                        attrs[a["key"]] = text
                spans.append(
                    {
                        "trace_id": s["traceId"],
                        "span_id": s["spanId"],
                        "parent": s.get("parentSpanId", ""),
                        "name": s["name"],
                        "attrs": attrs,
                        "guards": guards,
                    }
                )
    return spans


def in_process_scores(spans: list[dict[str, Any]]) -> dict[tuple[str, str], reshimu.Score]:
    intents: dict[str, tuple[reshimu.IntentSpec, str | None]] = {}
    for s in spans:
        a = s["attrs"]
        if "reshimu.intent.objective" in a:
            spec = reshimu.IntentSpec(
                a["reshimu.intent.objective"],
                a.get("reshimu.intent.scope", ""),
                a.get("reshimu.intent.constraints", ""),
                s["guards"],
            )
            intents[a["reshimu.intent.id"]] = (spec, a.get("reshimu.intent.parent_id"))
    by_id = {(s["trace_id"], s["span_id"]): s for s in spans}

    def intent_of(s: dict[str, Any]) -> str | None:
        cursor: dict[str, Any] | None = s
        while cursor is not None:
            if "reshimu.intent.id" in cursor["attrs"]:
                return str(cursor["attrs"]["reshimu.intent.id"])
            cursor = by_id.get((cursor["trace_id"], cursor["parent"]))
        return None

    out = {}
    for s in spans:
        levels: list[reshimu.IntentSpec] = []
        cursor = intent_of(s)
        while cursor is not None:
            spec, parent = intents[cursor]
            levels.append(spec)
            cursor = parent
        chain = reshimu.IntentChain(list(reversed(levels)))
        out[(s["trace_id"], s["span_id"])] = chain.score(s["name"], s["attrs"])
    return out


def test_in_process_scorer_matches_the_collector_on_every_corpus_span() -> None:
    files = sorted(CORPUS.glob("*.json"))
    assert len(files) >= 60, f"corpus at {CORPUS} holds {len(files)} sessions"
    result = subprocess.run(
        [str(collector_binary()), "score", "--format", "jsonl", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    collector = {
        (r["trace_id"], r["span_id"]): r for r in map(json.loads, result.stdout.splitlines())
    }
    compared = 0
    mismatches = []
    for f in files:
        for key, score in in_process_scores(load(f)).items():
            want = collector.pop(key)
            got = {
                "verdict": score.verdict,
                "violations": score.violations,
                "explanation": score.explanation,
                "alignment": f32(score.alignment),
                "local_alignment": f32(score.local_alignment),
                "coverage": None if score.coverage is None else f32(score.coverage),
            }
            expected = {
                "verdict": want["verdict"],
                "violations": want["violations"],
                "explanation": want["explanation"],
                "alignment": f32(want["alignment"]),
                "local_alignment": f32(want["local_alignment"]),
                "coverage": None if want["coverage"] is None else f32(want["coverage"]),
            }
            compared += 1
            if got != expected:
                mismatches.append((f.name, key, got, expected))
    assert not collector, f"spans the collector scored that Python did not: {list(collector)[:5]}"
    assert compared > 500, compared
    assert not mismatches, f"{len(mismatches)} of {compared} spans differ: {mismatches[:3]}"

"""Parity: the scorer in process and `reshimu-collector score --format jsonl`
give the same verdict, violations, explanation and scores for every span of
the drift corpus (`tests/drift/sessions/` and `tests/drift/handwritten/otlp/`),
with provenance: every session is scored through one `reshimu.SessionScorer`,
in the collector's order (the spans of a request by start time; for each,
learn what it was asked and given, score it, learn what it returned).

The lineage of each span is resolved here as the collector resolves what the
corpus uses, and compared with the collector's (intent, root, depth,
session) before any score is:
- its intent: its `reshimu.intent.id`, else its parent's, else a linked span's;
- a declaration: a span with an intent id and a non-blank objective (or, on a
  delegation, a `reshimu.contraction` and a parent id), prepared leniently
  (`IntentSpec.declared`, as `PreparedIntent::declared`); the chain follows
  `reshimu.intent.parent_id` up to the root;
- its session: its `reshimu.session.id`, else the nearest declaration up the
  chain that names one (`reshimu.session.id`, `gen_ai.conversation.id`,
  `session.id`, the resource's), else the root intent;
- a delegation hop: an HTTP client span whose remote child (directly or
  through a server span) declares a contraction of the client span's intent.
"""

from __future__ import annotations

import json
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import reshimu
from workspace import CORPUS, HANDWRITTEN, collector_binary

SPAN_KIND_SERVER = 2
SPAN_KIND_CLIENT = 3
HTTP_METHOD_KEYS = ("http.request.method", "http.method")
SESSION_KEYS = ("reshimu.session.id", "session.id")


def f32(x: float) -> float:
    """The value as the scorer's f32, so both sides compare exactly."""
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def text_of(value: dict[str, Any]) -> str | None:
    if "stringValue" in value:
        return str(value["stringValue"])
    return None


def trimmed(value: str | None) -> str | None:
    """An id as the collector reads it: trimmed, None when blank."""
    if value is None or not value.strip():
        return None
    return value.strip()


def guard_lines(value: dict[str, Any]) -> list[str]:
    """`reshimu.intent.guards`: a string array, or one newline-separated string."""
    if "arrayValue" in value:
        return [
            str(v["stringValue"])
            for v in value["arrayValue"].get("values", [])
            if "stringValue" in v
        ]
    text = text_of(value)
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent: str
    name: str
    kind: int
    start: int
    links: list[tuple[str, str]]
    attrs: dict[str, str]
    guards: list[str]
    http_method: bool
    resource_session: str | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.trace_id, self.span_id)

    @property
    def parent_key(self) -> tuple[str, str] | None:
        return (self.trace_id, self.parent) if self.parent else None

    def get(self, key: str) -> str | None:
        return trimmed(self.attrs.get(key))


@dataclass
class Declaration:
    spec: reshimu.IntentSpec
    parent_id: str | None
    session: str | None


@dataclass
class Resolved:
    intent_id: str | None = None
    chain: list[str] = field(default_factory=list)
    session: str = ""
    hop: bool = False


def kind_of(span: dict[str, Any]) -> int:
    kind = span.get("kind", 0)
    if isinstance(kind, int):
        return kind
    names = {"SPAN_KIND_SERVER": SPAN_KIND_SERVER, "SPAN_KIND_CLIENT": SPAN_KIND_CLIENT}
    return names.get(str(kind), 0)


def load(path: Path) -> list[Span]:
    """The spans of one OTLP JSON file, which must hold one request."""
    doc = json.loads(path.read_text())
    spans = []
    for rs in doc["resourceSpans"]:
        resource = {a["key"]: a["value"] for a in rs.get("resource", {}).get("attributes", [])}
        resource_session = next(
            (s for k in SESSION_KEYS if (s := trimmed(text_of(resource.get(k, {})))) is not None),
            None,
        )
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                attrs: dict[str, str] = {}
                guards: list[str] = []
                http_method = False
                for a in s.get("attributes", []):
                    if a["key"] == "reshimu.intent.guards":
                        guards = guard_lines(a["value"])
                    if a["key"] in HTTP_METHOD_KEYS:
                        http_method = True
                    if (text := text_of(a["value"])) is not None:
                        attrs[a["key"]] = text
                spans.append(
                    Span(
                        trace_id=s["traceId"],
                        span_id=s["spanId"],
                        parent=s.get("parentSpanId", ""),
                        name=s["name"],
                        kind=kind_of(s),
                        start=int(s.get("startTimeUnixNano", 0)),
                        links=[(link["traceId"], link["spanId"]) for link in s.get("links", [])],
                        attrs=attrs,
                        guards=guards,
                        http_method=http_method,
                        resource_session=resource_session,
                    )
                )
    return spans


def declaration(span: Span) -> Declaration | None:
    """What the span declares, prepared as the collector prepares it."""
    intent_id = span.get("reshimu.intent.id")
    parent_id = span.get("reshimu.intent.parent_id")
    objective = span.attrs.get("reshimu.intent.objective")
    contraction = span.attrs.get("reshimu.contraction")
    if objective is None or not objective.strip():
        objective = contraction if contraction and contraction.strip() and parent_id else None
    if intent_id is None or objective is None:
        return None
    spec = reshimu.IntentSpec.declared(
        objective,
        span.attrs.get("reshimu.intent.scope", ""),
        span.attrs.get("reshimu.intent.constraints", ""),
        span.guards,
    )
    session = (
        span.get("reshimu.session.id")
        or span.get("gen_ai.conversation.id")
        or span.get("session.id")
        or span.resource_session
    )
    return Declaration(spec, parent_id, session)


def resolve(spans: list[Span]) -> tuple[dict[tuple[str, str], Resolved], dict[str, Declaration]]:
    declared = {
        str(s.get("reshimu.intent.id")): d for s in spans if (d := declaration(s)) is not None
    }
    by_key = {s.key: s for s in spans}

    def intent_of(s: Span, seen: frozenset[tuple[str, str]] = frozenset()) -> str | None:
        own = s.get("reshimu.intent.id")
        if own is not None:
            return own
        for k in [s.parent_key, *s.links]:
            if k is not None and k in by_key and k not in seen:
                found = intent_of(by_key[k], seen | {s.key})
                if found is not None:
                    return found
        return None

    # Hops: the parent of a contraction's declaration, and the client span
    # above it when that parent is a server span.
    hops: dict[tuple[str, str], str] = {}
    for s in spans:
        d = declared.get(str(s.get("reshimu.intent.id")))
        if d is None or d.parent_id is None or declaration(s) is None or s.parent_key is None:
            continue
        hops[s.parent_key] = d.parent_id
        parent = by_key.get(s.parent_key)
        if parent is not None and parent.kind == SPAN_KIND_SERVER and parent.parent_key:
            hops[parent.parent_key] = d.parent_id

    out = {}
    for s in spans:
        r = Resolved(intent_id=intent_of(s))
        cursor = r.intent_id
        while cursor is not None and cursor in declared:
            r.chain.insert(0, cursor)
            cursor = declared[cursor].parent_id
        if r.intent_id is not None:
            declared_session = next(
                (declared[i].session for i in reversed(r.chain) if declared[i].session), None
            )
            r.session = s.get("reshimu.session.id") or declared_session or r.chain[0]
            r.hop = s.kind == SPAN_KIND_CLIENT and s.http_method and hops.get(s.key) == r.intent_id
        out[s.key] = r
    return out, declared


def collector_records(files: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    result = subprocess.run(
        [str(collector_binary()), "score", "--format", "jsonl", *map(str, files)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {(r["trace_id"], r["span_id"]): r for r in map(json.loads, result.stdout.splitlines())}


def as_compared(score: dict[str, Any]) -> dict[str, Any]:
    return {
        "verdict": score["verdict"],
        "violations": score["violations"],
        "explanation": score["explanation"],
        "alignment": f32(score["alignment"]),
        "local_alignment": f32(score["local_alignment"]),
        "coverage": None if score["coverage"] is None else f32(score["coverage"]),
    }


@dataclass
class Outcome:
    compared: int = 0
    flagged: int = 0
    hops: int = 0
    lineage_mismatches: list[Any] = field(default_factory=list)
    mismatches: list[Any] = field(default_factory=list)


def compare_with_collector(files: list[Path]) -> Outcome:
    """Scores every span of `files` in process and compares each with the
    collector's record; fails on a span only one side scored."""
    collector = collector_records(files)
    scorers: dict[str, reshimu.SessionScorer] = {}
    owner: dict[str, str] = {}
    out = Outcome()
    for f in files:
        spans = load(f)
        resolved, declared = resolve(spans)
        # The collector judges a span with its parent's score when the parent
        # came in the same request (each file is one request) and was scored.
        scored: dict[tuple[str, str], reshimu.Score] = {}
        for i in sorted(range(len(spans)), key=lambda i: (spans[i].start, i)):
            s, r = spans[i], resolved[spans[i].key]
            want = collector.pop(s.key)
            lineage = (r.intent_id, r.chain[0] if r.chain else None, max(len(r.chain) - 1, 0))
            lineage_want = (want["intent_id"], want["root_intent_id"], want["depth"])
            if r.intent_id is None:
                if lineage_want != (None, None, 0) or want["verdict"] != "unscoped":
                    out.lineage_mismatches.append((f.name, s.name, lineage, lineage_want))
                continue
            if lineage != lineage_want or r.session != want["session_id"]:
                out.lineage_mismatches.append(
                    (f.name, s.name, (*lineage, r.session), (*lineage_want, want["session_id"]))
                )
                continue
            # Provenance is per session: a session spread over two files
            # would make the order of files matter.
            assert owner.setdefault(r.session, f.name) == f.name, (r.session, f.name)
            scorer = scorers.setdefault(r.session, reshimu.SessionScorer())
            chain = reshimu.IntentChain([declared[i].spec for i in r.chain])
            parent = scored.get(s.parent_key) if s.parent_key else None
            got = scorer.score_span(chain, s.name, s.attrs, delegation_hop=r.hop, parent=parent)
            scored[s.key] = got
            out.compared += 1
            out.flagged += got.flagged
            out.hops += r.hop
            if as_compared(got.to_dict()) != as_compared(want):
                out.mismatches.append(
                    (f.name, s.name, as_compared(got.to_dict()), as_compared(want))
                )
    assert not collector, f"spans the collector scored that Python did not: {list(collector)[:5]}"
    return out


@pytest.mark.parametrize("corpus", [CORPUS, HANDWRITTEN], ids=["generated", "handwritten"])
def test_session_scorer_matches_the_collector_on_every_corpus_span(corpus: Path) -> None:
    files = sorted(corpus.glob("*.json"))
    assert len(files) >= 60, f"corpus at {corpus} holds {len(files)} sessions"
    out = compare_with_collector(files)
    assert not out.lineage_mismatches, (
        f"{len(out.lineage_mismatches)} spans resolve differently: {out.lineage_mismatches[:3]}"
    )
    assert out.compared > 500, out.compared
    assert out.flagged > 50, f"only {out.flagged} of {out.compared} spans flagged"
    assert not out.mismatches, (
        f"{len(out.mismatches)} of {out.compared} spans differ: {out.mismatches[:3]}"
    )


def otlp_span(
    span_id: str, parent: str, name: str, kind: int, attrs: dict[str, str], start: int
) -> dict[str, Any]:
    return {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": str(start),
        "endTimeUnixNano": str(start + 1000),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
    }


def test_delegation_hops_match_the_collector(tmp_path: Path) -> None:
    """The corpus holds no hop to a delegate in another process: an HTTP
    client span whose server side declares the contraction. Under `deny
    http write` its POST is the delegation, not a write, on both sides."""
    root = {"reshimu.intent.id": "root", "reshimu.session.id": "s-hop"}
    child = {"reshimu.intent.id": "child", "reshimu.session.id": "s-hop"}
    rows = [
        ("", "invoke_agent coordinator", 1, {
            **root,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "coordinator",
            "reshimu.intent.objective": "Audit the inactive customer accounts",
            "reshimu.intent.guards": "deny http write",  # one line, as array-less SDKs send it
        }),
        ("1", "POST", SPAN_KIND_CLIENT, {
            **root, "http.request.method": "POST", "url.full": "http://query.internal/run"
        }),
        ("2", "POST /run", SPAN_KIND_SERVER, {
            **root, "http.request.method": "POST", "http.route": "/run"
        }),
        ("3", "invoke_agent query_agent", 1, {
            **child,
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": "query_agent",
            "reshimu.intent.parent_id": "root",
            "reshimu.contraction": "List the customer accounts inactive for 90 days",
        }),
        ("4", "SELECT", SPAN_KIND_CLIENT, {
            **child, "db.query.text": "SELECT id FROM customers WHERE last_login < now() - 90"
        }),
    ]  # fmt: skip
    spans = [
        otlp_span(f"{n + 1:016x}", f"{int(p):016x}" if p else "", name, kind, attrs, n + 1)
        for n, (p, name, kind, attrs) in enumerate(rows)
    ]
    request = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": spans}]}]}
    path = tmp_path / "hop.json"
    path.write_text(json.dumps(request))
    out = compare_with_collector([path])
    assert not out.lineage_mismatches, out.lineage_mismatches
    assert (out.compared, out.hops) == (5, 1)
    assert not out.mismatches, out.mismatches
    # The hop decided: judged as a plain request, the POST breaks the intent.
    resolved, declared = resolve(load(path))
    post = next(s for s in load(path) if s.name == "POST")
    chain = reshimu.IntentChain([declared["root"].spec])
    hop = reshimu.SessionScorer().score_span(chain, post.name, post.attrs, delegation_hop=True)
    plain = reshimu.SessionScorer().score_span(chain, post.name, post.attrs)
    assert resolved[post.key].hop
    assert (hop.verdict, plain.verdict) == ("aligned", "violation"), (hop, plain)


def test_provenance_changes_verdicts_in_the_corpus() -> None:
    """The memory matters: without what the session saw before, some spans
    of the injection sessions are judged differently (so the parity above
    would catch a session scorer that forgot its memory)."""
    differ = 0
    for f in sorted(HANDWRITTEN.glob("*inject*.json")):
        spans = load(f)
        resolved, declared = resolve(spans)
        scorer = reshimu.SessionScorer()
        for i in sorted(range(len(spans)), key=lambda i: (spans[i].start, i)):
            s, r = spans[i], resolved[spans[i].key]
            if r.intent_id is None:
                continue
            chain = reshimu.IntentChain([declared[i].spec for i in r.chain])
            with_memory = scorer.score_span(chain, s.name, s.attrs, delegation_hop=r.hop)
            if not r.hop:  # `IntentChain.score` knows no hops
                differ += with_memory.verdict != chain.score(s.name, s.attrs).verdict
    assert differ > 0

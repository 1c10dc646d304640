"""IntentSpec, guards, digest and errors: the Rust rules, seen from Python."""

from __future__ import annotations

import hashlib
import json

import pytest
import reshimu

SEED_DIGEST = "808da6166783e173497e7e5cec2d8d5e2494996d511ca6e707f508ccaa297cd7"


def test_reference_spec_has_the_design_digest(spec: reshimu.IntentSpec) -> None:
    assert spec.digest == SEED_DIGEST
    assert spec.guards == [
        "deny sql write",
        "deny message send",
        "define inactive = last_login > 90 days",
    ]


def test_digest_is_sha256_of_pythons_canonical_json() -> None:
    s = reshimu.IntentSpec('Résumé ✓ "quoted"', "a\tb", "", ["# comment", ""])
    canonical = json.dumps(
        {"objective": s.objective, "scope": s.scope, "constraints": "", "guards": s.guards},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert s.canonical_json() == canonical
    assert s.digest == hashlib.sha256(canonical.encode()).hexdigest()


def test_declaration_attributes(spec: reshimu.IntentSpec) -> None:
    attrs = spec.to_attributes()
    assert attrs == {
        "reshimu.intent.objective": spec.objective,
        "reshimu.intent.scope": spec.scope,
        "reshimu.intent.constraints": spec.constraints,
        "reshimu.intent.guards": spec.guards,
        "reshimu.intent.digest": SEED_DIGEST,
    }


def test_rules_and_definitions(spec: reshimu.IntentSpec) -> None:
    assert spec.rules == ["sql.write", "message.send", "define.inactive"]
    assert spec.definitions["inactive"] == "last_login > 90 days"
    assert reshimu.parse_guard("deny sql write") == "sql.write"
    assert reshimu.parse_guard("# a comment") is None
    assert reshimu.parse_guard("   ") is None


@pytest.mark.parametrize(
    ("kwargs", "field", "line", "position", "text"),
    [
        ({"objective": ""}, "objective", None, None, "objective is empty: it is required"),
        ({"objective": "x", "scope": "   "}, "scope", None, None, "scope holds only whitespace"),
        (
            {"objective": "x", "constraints": "no\x07writes"},
            "constraints",
            None,
            3,
            "constraints holds control character U+0007 at character 3",
        ),
        (
            {"objective": "x" * 4097},
            "objective",
            None,
            None,
            "objective is 4097 characters long, the limit is 4096",
        ),
        (
            {"objective": "x", "guards": ["deny sql write", "frobnicate tools"]},
            "guards",
            2,
            None,
            "guard line 2 `frobnicate tools`: unknown guard `frobnicate`: "
            "expected `deny`, `allow` or `define`",
        ),
        (
            {"objective": "x", "guards": ["define a = 1", "define A = 2"]},
            "guards",
            2,
            None,
            "guard line 2: term `a` is already defined on line 1",
        ),
    ],
)
def test_invalid_specs_raise_with_field_and_line(
    kwargs: dict[str, object], field: str, line: int | None, position: int | None, text: str
) -> None:
    with pytest.raises(reshimu.SpecError) as info:
        reshimu.IntentSpec(**kwargs)  # type: ignore[arg-type]
    err = info.value
    assert str(err) == text
    assert (err.field, err.line, err.position, err.reason) == (field, line, position, text)
    assert isinstance(err, ValueError)


def test_parse_guard_error_names_line_one() -> None:
    with pytest.raises(reshimu.SpecError) as info:
        reshimu.parse_guard("deny sql")
    assert (info.value.field, info.value.line) == ("guards", 1)


def test_json_round_trip_and_unknown_keys(spec: reshimu.IntentSpec) -> None:
    back = reshimu.IntentSpec.from_json(json.dumps(spec.to_dict()))
    assert back == spec
    assert hash(back) == hash(spec)
    with pytest.raises(reshimu.SpecError, match="unknown field"):
        reshimu.IntentSpec.from_json(
            '{"objective": "x", "scope": "", "constraints": "", "goal": 1}'
        )


def test_chain_levels(spec: reshimu.IntentSpec) -> None:
    child = reshimu.IntentSpec("List the inactive customers")
    chain = reshimu.IntentChain([spec]).extend(child)
    assert (chain.depth, len(chain), chain.root, chain.in_force) == (1, 2, spec, child)
    with pytest.raises(ValueError, match="at least its root"):
        reshimu.IntentChain([])


def test_actions_carry_the_span_attributes() -> None:
    assert reshimu.Action.sql("delete from customers").name == "DELETE"
    tool = reshimu.Action.tool("send_email", {"to": "zoë@example.com"})
    assert dict(tool.attributes)["gen_ai.tool.call.arguments"] == '{"to": "zoë@example.com"}'
    assert tool.name == "execute_tool send_email"
    http = reshimu.Action.http("post", "https://api.example.com/x")
    assert dict(http.attributes) == {
        "http.request.method": "POST",
        "url.full": "https://api.example.com/x",
    }
    msg = reshimu.Action.message("ops@example.com", "hello")
    assert msg.name == "send ops@example.com"
    assert dict(msg.attributes)["messaging.operation.type"] == "send"
    assert reshimu.Action("x").with_attribute("k", "v").attributes == [("k", "v")]


def test_scoring_reads_only_string_attributes(spec: reshimu.IntentSpec) -> None:
    chain = reshimu.IntentChain([spec])
    delete = chain.score("DELETE", {"db.query.text": "DELETE FROM customers", "n": 3})
    assert delete.verdict == "violation"
    assert delete.violations[0].startswith("sql.write")
    assert delete.to_dict()["verdict"] == "violation"
    pairs = chain.score("DELETE", [("db.query.text", "DELETE FROM customers")])
    assert pairs.explanation == delete.explanation
    select = chain.score(
        "SELECT",
        {"db.query.text": "SELECT id FROM customers WHERE last_login < now() - INTERVAL 90 DAY"},
    )
    assert select.verdict == "aligned", select
    assert select.scorer == reshimu.SCORER_VERSION

"""Reads InjecAgent's data files into typed test cases.

InjecAgent (Zhan et al., 2024) ships its benchmark as JSON under `data/`:
`test_cases_{dh,ds}_{base,enhanced}.json` (one list of cases each: a user
instruction, the user tool and its parameters, a tool response template with an
`<Attacker Instruction>` slot, the attacker instruction and tools), `tools.json`
(the tool specifications) and `attacker_simulated_responses.json` (what the
first attacker tool of a data-stealing case returns). Nothing of it is kept in
this repository: the files are read where the caller says they are.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACEHOLDER = "<Attacker Instruction>"
KINDS = ("dh", "ds")
SETTINGS = ("base", "enhanced")
KIND_NAMES = {"dh": "direct harm", "ds": "data stealing"}


class DataError(Exception):
    """The data directory is missing a file or holds one of another shape."""


@dataclass(frozen=True)
class Param:
    """One parameter of a tool, as `tools.json` specifies it."""

    name: str
    type: str
    description: str
    required: bool


@dataclass(frozen=True)
class Tool:
    """A tool: `<toolkit><name>`, as the test cases name it."""

    name: str
    toolkit: str
    summary: str
    params: tuple[Param, ...]
    returns: tuple[Param, ...]


@dataclass(frozen=True)
class Case:
    """One InjecAgent test case."""

    kind: str  # "dh" | "ds"
    setting: str  # "base" | "enhanced"
    index: int  # position in its file
    user_instruction: str
    user_tool: str
    user_arguments: dict[str, Any]
    thought: str  # the ReAct thought that precedes the user tool call
    tool_response_template: str
    attacker_instruction: str  # as the case states it
    injected_text: str  # what the tool response carries: the instruction, with the enhanced prefix
    attacker_tools: tuple[str, ...]
    attack_type: str  # InjecAgent's finer class: "Physical Harm", "Financial Data"...

    @property
    def key(self) -> str:
        return f"{self.kind}_{self.setting}_{self.index:04d}"


def python_literal(text: str) -> Any:
    """A Python literal as InjecAgent writes tool parameters and responses."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError) as e:
        raise DataError(f"not a Python literal: {text[:80]!r}: {e}") from e


def injected_text(template: str, tool_response: str, instruction: str) -> str:
    """The text the case puts in the template's slot.

    In the enhanced setting the tool response carries the attacker instruction
    behind a prefix that the case's `Attacker Instruction` field does not
    hold; it is read off the filled-in `Tool Response`: what stands between
    the template's text before the slot and the instruction. That field's
    quoting and escaping vary from case to case, so both are compared with
    backslashes dropped and both quote characters taken as one.
    """

    def norm(text: str) -> str:
        return text.replace("\\", "").replace('"', "'")

    before = norm(template.split(PLACEHOLDER, 1)[0])[-12:]
    filled, wanted = norm(tool_response), norm(instruction)
    end = filled.find(wanted)
    if end < 0:
        raise DataError("the tool response does not carry the attacker instruction")
    start = filled.rfind(before, 0, end) if before else 0
    if start < 0:
        raise DataError("the tool response does not read like its template before the slot")
    prefix = filled[start + len(before) : end]
    return prefix + instruction


def load_cases(data: Path) -> list[Case]:
    """Every case of the four test-case files, in file order."""
    cases: list[Case] = []
    for kind in KINDS:
        for setting in SETTINGS:
            path = data / f"test_cases_{kind}_{setting}.json"
            try:
                rows = json.loads(path.read_text())
            except OSError as e:
                raise DataError(f"cannot read {path}: {e}") from e
            except json.JSONDecodeError as e:
                raise DataError(f"{path} is not JSON: {e}") from e
            for i, row in enumerate(rows):
                try:
                    cases.append(_case(kind, setting, i, row))
                except (KeyError, TypeError, DataError) as e:
                    raise DataError(f"{path.name} case {i}: {e}") from e
    return cases


def _case(kind: str, setting: str, index: int, row: dict[str, Any]) -> Case:
    template = row["Tool Response Template"]
    if template.count(PLACEHOLDER) != 1:
        raise DataError(f"the template holds {template.count(PLACEHOLDER)} slots, expected 1")
    instruction = row["Attacker Instruction"]
    arguments = python_literal(row["Tool Parameters"])
    if not isinstance(arguments, dict):
        raise DataError("Tool Parameters is not a mapping")
    thought = row.get("Thought", "").strip()
    thought = thought.removeprefix("Thought:").strip()
    return Case(
        kind=kind,
        setting=setting,
        index=index,
        user_instruction=row["User Instruction"],
        user_tool=row["User Tool"],
        user_arguments=arguments,
        thought=thought,
        tool_response_template=template,
        attacker_instruction=instruction,
        injected_text=injected_text(template, row["Tool Response"], instruction),
        attacker_tools=tuple(row["Attacker Tools"]),
        attack_type=row.get("Attack Type", ""),
    )


def load_tools(data: Path) -> dict[str, Tool]:
    """The tools of `tools.json`, by the name test cases use."""
    path = data / "tools.json"
    try:
        toolkits = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read {path}: {e}") from e
    tools: dict[str, Tool] = {}
    for kit in toolkits:
        for t in kit["tools"]:
            name = kit["toolkit"] + t["name"]
            tools[name] = Tool(
                name=name,
                toolkit=kit["toolkit"],
                summary=t.get("summary", ""),
                params=tuple(_param(p) for p in t.get("parameters", [])),
                returns=tuple(_param(p) for p in t.get("returns", [])),
            )
    return tools


def _param(p: dict[str, Any]) -> Param:
    return Param(
        name=p["name"],
        type=p.get("type", "string"),
        description=p.get("description", ""),
        required=bool(p.get("required", False)),
    )


@dataclass(frozen=True)
class SimulatedCall:
    """A recorded call of an attacker tool and what it returned."""

    arguments: Any  # a mapping, or what the recording holds when it is not one
    response: str


def load_simulated(data: Path) -> dict[str, list[SimulatedCall]]:
    """`attacker_simulated_responses.json` by tool name.

    Its keys are `(<Tool>,<arguments>)` with the arguments as JSON or as a
    Python literal; a key whose arguments parse as neither keeps them as text.
    """
    path = data / "attacker_simulated_responses.json"
    try:
        raw = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise DataError(f"cannot read {path}: {e}") from e
    out: dict[str, list[SimulatedCall]] = {}
    for key, response in raw.items():
        if not (key.startswith("(") and key.endswith(")") and "," in key):
            continue
        name, args_text = key[1:-1].split(",", 1)
        out.setdefault(name.strip(), []).append(SimulatedCall(_parse_args(args_text), str(response)))
    return out


def _parse_args(text: str) -> Any:
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, TypeError):
            continue
    return text

#!/usr/bin/env python3
"""Turns InjecAgent's test cases into OTLP JSON sessions for `reshimu-collector score`.

    python3 tests/injecagent/generate.py DATA_DIR [--out target/injecagent/otlp] [--show-args]

DATA_DIR is InjecAgent's `data/` directory (or the checkout holding it);
`RESHIMU_INJECAGENT_DIR` says the same when the argument is left out. Writes
`<kind>_<setting>.jsonl` (one ExportTraceServiceRequest per line, both
variants of every case) and `generation.json` (counts and what the
generator had to guess). Deterministic: the same data gives the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from cases import KINDS, SETTINGS, DataError, load_cases, load_simulated, load_tools
from sessions import VARIANTS, Stats, build

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ENV = "RESHIMU_INJECAGENT_DIR"


def data_dir(arg: str | None) -> Path:
    """InjecAgent's `data/`, from the argument or the environment."""
    raw = arg or os.environ.get(ENV)
    if not raw:
        raise DataError(f"say where InjecAgent's data is: an argument or {ENV}")
    path = Path(raw)
    if (path / "data" / "tools.json").exists():
        path = path / "data"
    if not (path / "tools.json").exists():
        raise DataError(f"{path} holds no tools.json: expected InjecAgent's data/ directory")
    return path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", help=f"InjecAgent's data/ directory (default: ${ENV})")
    ap.add_argument("--out", type=Path, default=ROOT / "target" / "injecagent" / "otlp")
    ap.add_argument("--show-args", action="store_true", help="print every distinct attacker call made")
    args = ap.parse_args()
    try:
        data = data_dir(args.data)
        cases = load_cases(data)
        tools = load_tools(data)
        simulated = load_simulated(data)
    except DataError as e:
        print(f"generate.py: {e}", file=sys.stderr)
        return 2
    unknown = sorted({t for c in cases for t in (c.user_tool, *c.attacker_tools) if t not in tools})
    if unknown:
        print(f"generate.py: tools.json does not specify {unknown}", file=sys.stderr)
        return 2

    stats = Stats()
    args.out.mkdir(parents=True, exist_ok=True)
    spans = 0
    counts: dict[str, int] = {}
    for kind in KINDS:
        for setting in SETTINGS:
            lines = []
            for case in (c for c in cases if c.kind == kind and c.setting == setting):
                for variant in VARIANTS:
                    request = build(case, variant, tools, simulated, stats)
                    spans += sum(len(s["spans"]) for r in request["resourceSpans"] for s in r["scopeSpans"])
                    lines.append(json.dumps(request, ensure_ascii=False, separators=(",", ":")))
            counts[f"{kind}_{setting}"] = len(lines) // len(VARIANTS)
            (args.out / f"{kind}_{setting}.jsonl").write_text("\n".join(lines) + "\n")
    report = {
        "data": str(data),
        "cases": counts,
        "sessions": len(cases) * len(VARIANTS),
        "spans": spans,
        **{k: v for k, v in asdict(stats).items() if k != "calls"},
        "distinct_attacker_calls": len(stats.calls),
    }
    (args.out / "generation.json").write_text(json.dumps(report, indent=1) + "\n")
    if args.show_args:
        for call, instruction in sorted(stats.calls.items()):
            print(f"{call}\n    <- {instruction}")
    missing = sum(stats.missing.values())
    print(
        f"generated {len(cases)} cases, {report['sessions']} sessions, {spans} spans into {args.out}; "
        f"{stats.attacker_calls} attacker calls, {missing} required parameters not read off the instruction",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

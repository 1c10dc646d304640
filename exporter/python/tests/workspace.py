"""Where the tests find the rest of the workspace: the corpus, the collector
binary (`RESHIMU_COLLECTOR`, default `target/debug/reshimu-collector`, built
by `cargo build -p reshimu-collector`), the ClickHouse to write to."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT / "tests" / "drift" / "sessions"
HANDWRITTEN = ROOT / "tests" / "drift" / "handwritten" / "otlp"
EXAMPLES = ROOT / "exporter" / "python" / "examples"


def collector_binary() -> Path:
    """The collector binary; a clear error when it has not been built."""
    path = Path(
        os.environ.get("RESHIMU_COLLECTOR", ROOT / "target" / "debug" / "reshimu-collector")
    )
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: build it with `cargo build -p reshimu-collector` "
            "(or point RESHIMU_COLLECTOR at one)"
        )
    return path

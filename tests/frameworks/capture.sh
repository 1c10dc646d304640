#!/usr/bin/env bash
# Re-captures the framework fixtures under intent/tests/fixtures/frameworks/:
# every run of the reference story in every framework, as OTLP JSON lines.
# Builds target/frameworks-venv from requirements.txt first if needed.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv="target/frameworks-venv"
if ! "$venv/bin/python" -c "import langgraph, agents, pydantic_ai, opentelemetry.instrumentation.openai_v2" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r tests/frameworks/requirements.txt
fi

runs=()
for drift in clean definition write email recommend; do
    for mode in declare stamp plain; do
        runs+=("$drift-$mode")
    done
done
runs+=(remote-declare remote-stamp)

for framework in openai-v2 langgraph openai-agents pydantic-ai; do
    out="intent/tests/fixtures/frameworks/$framework"
    mkdir -p "$out"
    echo "==> $framework"
    "$venv/bin/python" tests/frameworks/run.py --framework "$framework" --capture-dir "$out" "${runs[@]}" > "$out/runs.jsonl"
done

#!/usr/bin/env bash
# The Python SDK's checks, run by ./tests/run.sh after the Rust tests: the
# wheel (maturin, in the workspace's target/ so cargo's cache is reused),
# ruff, mypy and pytest, in the framework tests' virtualenv
# (target/frameworks-venv: tests/frameworks/requirements.txt, which
# tests/src/frameworks.rs builds on first use, or this script when it runs
# first) with the SDK's test tools added (tests/requirements.txt; installed
# again only when either file changes).
# The end-to-end tests need the collector binary and CLICKHOUSE_URL, which
# ./tests/run.sh provides; `-m "not e2e"` runs the rest without them.
set -euo pipefail
cd "$(dirname "$0")/../../.."

venv="$PWD/target/frameworks-venv"
frameworks="tests/frameworks/requirements.txt"
tools="exporter/python/tests/requirements.txt"
# The import check of tests/src/frameworks.rs: a venv it accepts is reused.
if ! "$venv/bin/python" -c "import langgraph, agents, pydantic_ai, opentelemetry.instrumentation.openai_v2, openinference.instrumentation.langchain, opentelemetry.instrumentation.requests" 2>/dev/null; then
    echo "exporter/python: building $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$frameworks"
fi
stamp="$venv/.pysdk-requirements.sha256"
want="$(cat "$frameworks" "$tools" | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
    echo "exporter/python: adding the test tools to $venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$frameworks" -r "$tools"
    echo "$want" > "$stamp"
fi

# A debug wheel by default: it reuses the debug build of reshimu-intent that
# `cargo test` just made (only PyO3 and the binding compile), where a release
# wheel rebuilds everything (minutes on 2 cores). The code is the same; for
# the overhead benchmark use RESHIMU_WHEEL_PROFILE=release.
profile="${RESHIMU_WHEEL_PROFILE:-debug}"
case "$profile" in
    debug) profile_args=() ;;
    release) profile_args=(--release) ;;
    *) echo "RESHIMU_WHEEL_PROFILE must be debug or release, not $profile" >&2; exit 2 ;;
esac
echo "exporter/python: building the wheel ($profile)"
rm -rf target/pysdk-wheels
VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
    maturin build "${profile_args[@]}" --quiet -m exporter/python/Cargo.toml -o target/pysdk-wheels
"$venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps target/pysdk-wheels/reshimu-*.whl

cd exporter/python
echo "exporter/python: ruff and mypy"
"$venv/bin/ruff" check .
"$venv/bin/ruff" format --check .
"$venv/bin/mypy"
echo "exporter/python: pytest"
"$venv/bin/python" -m pytest -q "$@"

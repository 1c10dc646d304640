#!/usr/bin/env bash
# The Python SDK's checks, run by ./tests/run.sh after the Rust tests:
# the test virtualenv (target/pysdk-venv, rebuilt only when
# tests/requirements.txt changes), the wheel (maturin, in the workspace's
# target/ so cargo's cache is reused), ruff, mypy and pytest.
# The end-to-end tests need the collector binary and CLICKHOUSE_URL, which
# ./tests/run.sh provides; `-m "not e2e"` runs the rest without them.
set -euo pipefail
cd "$(dirname "$0")/../../.."

venv="$PWD/target/pysdk-venv"
requirements="exporter/python/tests/requirements.txt"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]]; then
    echo "exporter/python: building $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    echo "$want" > "$venv/.requirements.sha256"
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

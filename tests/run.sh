#!/usr/bin/env bash
# The project's test command: all workspace tests against a local ClickHouse.
#
# Uses CLICKHOUSE_URL if already set; otherwise starts the launcher's server
# (a chDB-backed ClickHouse HTTP interface; its virtualenv is built on first
# use) and always stops it on exit. Exits with the test status.
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir="target/clickhouse-run"
pid_file="$state_dir/server.pid"

if [[ -z "${CLICKHOUSE_URL:-}" ]]; then
    cargo build --quiet -p reshimu-clickhouse-launcher --bin reshimu-clickhouse
    mkdir -p "$state_dir"
    rm -rf "$state_dir/data"
    trap './target/debug/reshimu-clickhouse stop --pid-file "$pid_file" || true' EXIT
    started="$(./target/debug/reshimu-clickhouse start --port 0 --data "$state_dir/data" --pid-file "$pid_file")"
    echo "$started"
    export "${started?}"
fi
echo "tests/run.sh: using ClickHouse at $CLICKHOUSE_URL"

# The dashboards against Grafana's published types (Node and npm; the pinned
# packages are installed into target/dashboard-typecheck on first use).
echo "tests/run.sh: dashboard type check"
dashboards/typecheck/check.sh

# Libraries, binaries, integration tests, examples and doctests of every crate.
status=0
cargo test --workspace --no-fail-fast "$@" || status=$?

# The Python SDK (exporter/python): its wheel, lints and pytest suite, end
# to end against the collector binary and this ClickHouse. Skipped when
# arguments select particular cargo tests.
if [[ $# -eq 0 ]]; then
    cargo build --quiet -p reshimu-collector --bin reshimu-collector
    ./exporter/python/tests/run.sh || status=$?
    # The load benchmark's path, briefly: written == accepted over HTTP and
    # gRPC, spool off and on (speed is measured by tests/load/compare.sh).
    ./tests/load/smoke.sh || status=$?
fi
exit "$status"

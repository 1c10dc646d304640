#!/usr/bin/env bash
# One command to see Reshimu work: a local ClickHouse (unless CLICKHOUSE_URL
# is set), the collector on the standard OTLP ports, and the reference
# multi-agent session sent through it, clean and drifted, with the verdicts
# read back from ClickHouse.
#
#   ./quickstart.sh          keep the collector running afterwards (Ctrl-C stops all)
#   ./quickstart.sh --once   stop everything after the demo
#
# Ports: OTLP/gRPC 4317, OTLP/HTTP 4318, metrics 8888 (override with
# RESHIMU_GRPC, RESHIMU_HTTP, RESHIMU_METRICS as host:port); the local
# ClickHouse listens on 127.0.0.1:8123 (RESHIMU_CLICKHOUSE_PORT).
set -euo pipefail
cd "$(dirname "$0")"

once=false
[[ "${1:-}" == "--once" ]] && once=true

state="target/quickstart"
mkdir -p "$state"
started_at=$SECONDS
step() { echo "==> [$((SECONDS - started_at))s] $*"; }

step "building the collector and the local ClickHouse launcher (first run: about 8 minutes on 2 cores)"
cargo build -p reshimu-collector -p reshimu-clickhouse-launcher

pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -f "$state/clickhouse.pid" ]]; then
        ./target/debug/reshimu-clickhouse stop --pid-file "$state/clickhouse.pid" >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

if [[ -z "${CLICKHOUSE_URL:-}" ]]; then
    step "starting a local ClickHouse on 127.0.0.1:${RESHIMU_CLICKHOUSE_PORT:-8123} (data in $state/clickhouse; first run installs chDB into target/chdb-venv)"
    started="$(./target/debug/reshimu-clickhouse start --port "${RESHIMU_CLICKHOUSE_PORT:-8123}" \
        --data "$state/clickhouse" --pid-file "$state/clickhouse.pid")"
    export "${started?}"
fi
step "ClickHouse at $CLICKHOUSE_URL"

cat > "$state/collector.yaml" <<YAML
receivers:
  grpc:
    endpoint: ${RESHIMU_GRPC:-127.0.0.1:4317}
  http:
    endpoint: ${RESHIMU_HTTP:-127.0.0.1:4318}
clickhouse:
  batch:
    max_delay: 200ms
telemetry:
  listen: ${RESHIMU_METRICS:-127.0.0.1:8888}
YAML

step "starting the collector (log: $state/collector.log)"
./target/debug/reshimu-collector run --config "$state/collector.yaml" >"$state/collector.log" 2>&1 &
pids+=("$!")
metrics="http://${RESHIMU_METRICS:-127.0.0.1:8888}"
for _ in $(seq 1 100); do
    if curl -fsS "$metrics/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[0]}" 2>/dev/null; then
        echo "the collector exited:"; cat "$state/collector.log"; exit 1
    fi
    sleep 0.2
done
curl -fsS "$metrics/readyz" >/dev/null

step "sending the reference session (clean and drifted)"
./target/debug/reshimu-collector demo --endpoint "http://${RESHIMU_HTTP:-127.0.0.1:4318}" --clickhouse-url "$CLICKHOUSE_URL"

echo
step "collector metrics: $metrics/metrics"
curl -fsS "$metrics/metrics" | grep -E '^reshimu_(scored|written)_spans_total' || true

if [[ "$once" == true ]]; then
    exit 0
fi
echo
echo "The collector is running: send OTLP to 127.0.0.1:4317 (gRPC) or http://127.0.0.1:4318 (HTTP)."
echo "Query ClickHouse at $CLICKHOUSE_URL (database reshimu), for example:"
echo "  curl $CLICKHOUSE_URL --data-binary 'SELECT Verdict, count() FROM reshimu.spans GROUP BY Verdict'"
echo "Ctrl-C stops everything."
wait "${pids[0]}"

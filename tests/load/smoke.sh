#!/usr/bin/env bash
# The load benchmark as a test: a few seconds of OTLP load through the
# collector binary into the discard sink, over HTTP and gRPC, with the spool
# off and on. Fails unless the collector accepted spans and wrote exactly
# what it accepted (written == accepted). No speed is asserted: speed is
# measured with tests/load/compare.sh on a release build, never in a test.
#
#   tests/load/smoke.sh [SECONDS]
#
# Needs CLICKHOUSE_URL (tests/run.sh starts the local engine); uses the
# debug builds of the collector and of collector/examples/loadbench.rs.
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds="${1:-3}"
if [[ -z "${CLICKHOUSE_URL:-}" ]]; then
    echo "smoke.sh: CLICKHOUSE_URL is not set (run it from tests/run.sh)" >&2
    exit 2
fi
cargo build --quiet -p reshimu-collector --bin reshimu-collector --example loadbench

status=0
for mode in "" "--grpc" "--spool" "--grpc --spool"; do
    # shellcheck disable=SC2086 # $mode is a list of flags
    line="$(./target/debug/examples/loadbench --binary target/debug/reshimu-collector \
        --sink discard --clickhouse "$CLICKHOUSE_URL" --seconds "$seconds" \
        --clients 4 --spans 256 $mode)" || { echo "smoke.sh: loadbench $mode failed" >&2; status=1; continue; }
    echo "$line"
    if ! python3 - "$line" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
ok = r["accepted_spans"] > 0 and r["written_equals_accepted"] is True and r["failed_requests"] == 0
if not ok:
    print(f"smoke.sh: {r['protocol']} spool={r['spool']}: accepted {r['collector_accepted_spans']}, "
          f"written {r['written_spans']}, failed requests {r['failed_requests']}", file=sys.stderr)
sys.exit(0 if ok else 1)
EOF
    then
        status=1
    fi
done
exit "$status"

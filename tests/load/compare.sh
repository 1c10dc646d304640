#!/usr/bin/env bash
# Compares reshimu's CPU per span with another OTLP collector's, on this
# machine, in one session: the load benchmark (collector/examples/loadbench.rs)
# in alternating rounds, the collector pinned to one core and the load
# generator, the discard sink and the local ClickHouse engine on the other.
#
#   tests/load/compare.sh [--rounds N] [--seconds S] [--grpc] \
#       [--other-sink 'CMD'] [--other-none 'CMD']
#
# --other-sink runs the other collector exporting to ClickHouse, --other-none
# with no sink (a blackhole); `{http}`, `{grpc}` and `{clickhouse}` in them are
# replaced by the OTLP/HTTP and OTLP/gRPC listen addresses and the discard
# sink's URL. Without them only reshimu is measured. For Rotel, e.g.:
#   --other-sink 'rotel start --otlp-http-endpoint {http} --otlp-grpc-endpoint {grpc}
#                 --exporter clickhouse --clickhouse-exporter-endpoint {clickhouse}'
#   --other-none 'rotel start --otlp-http-endpoint {http} --otlp-grpc-endpoint {grpc}
#                 --exporter blackhole'
# Prints one JSON line per run, then the median CPU per span of each mode and
# the median of the paired ratios (reshimu / other, round by round).
# Results go to target/load/compare.jsonl. A measurement, not a test.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
rounds=3
seconds=15
grpc=()
other_sink=""
other_none=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --grpc) grpc=(--grpc); shift ;;
    --other-sink) other_sink="$2"; shift 2 ;;
    --other-none) other_none="$2"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ "$(nproc)" -lt 2 ]; then
  echo "compare.sh: needs two cores (one for the collector, one for the load)" >&2
  exit 2
fi

echo "==> building (release)" >&2
cargo build --quiet --release -p reshimu-collector --bin reshimu-collector --example loadbench
cargo build --quiet -p reshimu-clickhouse-launcher --bin reshimu-clickhouse

out="$root/target/load"
mkdir -p "$out"
state="$(mktemp -d "$out/clickhouse.XXXXXX")"
trap './target/debug/reshimu-clickhouse stop --pid-file "$state/pid" || true; rm -rf "$state"' EXIT
# The engine only answers migrations, schema checks and lookups: inserts stop
# at the discard sink. It shares the load generator's core.
export $(taskset -c 1 ./target/debug/reshimu-clickhouse start --port 0 --data "$state/data" --pid-file "$state/pid")

results="$out/compare.jsonl"
: > "$results"
bench() {
  taskset -c 1 ./target/release/examples/loadbench --collector-cpu 0 --seconds "$seconds" \
    "${grpc[@]}" "$@" 2>/dev/null | tail -n 1 | tee -a "$results"
}
for round in $(seq 1 "$rounds"); do
  echo "==> round $round of $rounds" >&2
  bench --label reshimu --sink discard
  [ -n "$other_sink" ] && bench --label other --sink discard --command "$other_sink"
  bench --label reshimu --sink discard --spool
  bench --label reshimu --sink none
  [ -n "$other_none" ] && bench --label other --sink none --command "$other_none"
done

python3 - "$results" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for sink, spool in (("discard", False), ("discard", True), ("none", False)):
    mine = [r for r in runs if r["label"] == "reshimu" and r["sink"] == sink and r["spool"] == spool]
    other = [r for r in runs if r["label"] == "other" and r["sink"] == sink and not spool]
    def med(rs, k):
        return statistics.median(r[k] for r in rs) if rs else float("nan")
    name = sink + ("+spool" if spool else "")
    line = (f"{name:13} reshimu {med(mine, 'cpu_us_per_span'):6.2f} us/span "
            f"{med(mine, 'spans_per_second'):9.0f} spans/s peak RSS {med(mine, 'peak_rss_mib'):5.0f} MiB "
            f"written==accepted {all(r['written_equals_accepted'] for r in mine)}")
    if other:
        ratios = [a["cpu_us_per_span"] / b["cpu_us_per_span"] for a, b in zip(mine, other)]
        line += (f" | other {med(other, 'cpu_us_per_span'):6.2f} us/span "
                 f"{med(other, 'spans_per_second'):9.0f} spans/s peak RSS {med(other, 'peak_rss_mib'):5.0f} MiB"
                 f" | median paired ratio {statistics.median(ratios):.2f}x")
    print(line)
EOF

#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation on the
# stable toolchain (the sancov passes are codegen flags; RUSTC_BOOTSTRAP=1
# only lets libfuzzer-sys's own build use what cargo-fuzz would), then runs
# each target for a bounded time on its corpus in fuzz/corpus/<target>,
# which grows with what the run finds (commit it). Crashes land in
# fuzz/artifacts/<target>/ and make the script exit non-zero.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, all four)
#
# Targets: otlp_protobuf, otlp_json (receiver decode + validation, lineage,
# scoring, row encoding), intent_spec (spec and guard grammar),
# sql_classification (the scorer's SQL write check through its public API).
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-60}"
[[ $# -gt 0 ]] && shift
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(otlp_protobuf otlp_json intent_spec sql_classification)

export RUSTC_BOOTSTRAP=1
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing -Cdebug-assertions -Coverflow-checks"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-../target/fuzz}"
# An explicit --target keeps RUSTFLAGS off build scripts and proc macros,
# which must link without libFuzzer's coverage hooks (as cargo-fuzz does).
host="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release --bins --quiet --target "$host"
bin_dir="$CARGO_TARGET_DIR/$host/release"

status=0
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target" "artifacts/$target"
    echo "==> $target for ${seconds}s"
    if ! "$bin_dir/$target" "corpus/$target" \
        -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="artifacts/$target/" -print_final_stats=1 2>"artifacts/$target/log.txt"; then
        echo "$target: FAILED, see fuzz/artifacts/$target/"
        status=1
    fi
    grep -E "^(stat::number_of_executed_units|stat::peak_rss_mb|Done)|^#[0-9]+ *DONE" "artifacts/$target/log.txt" || true
done
exit "$status"

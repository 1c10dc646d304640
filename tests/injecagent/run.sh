#!/usr/bin/env bash
# The InjecAgent injection benchmark: generate OTLP sessions from InjecAgent's
# test cases, score them with `reshimu-collector score`, print the figures.
#
#   tests/injecagent/run.sh [DATA] [--release]
#
# DATA (or $RESHIMU_INJECAGENT_DIR) is InjecAgent's data/ directory, a checkout
# holding it, or a bare git repository of it (read with `git show`, nothing is
# checked out). Output goes to target/injecagent/: data/ (when read from git),
# otlp/ (the sessions and generation.json), scores.jsonl and summary.json.
# A measurement, not a test: it fails only when something cannot run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
profile=debug
data="${RESHIMU_INJECAGENT_DIR:-}"
for arg in "$@"; do
  case "$arg" in
    --release) profile=release ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) data="$arg" ;;
  esac
done
if [ -z "$data" ]; then
  echo "run.sh: say where InjecAgent's data is: tests/injecagent/run.sh DATA, or RESHIMU_INJECAGENT_DIR" >&2
  exit 2
fi
if [ ! -e "$data" ]; then
  echo "run.sh: $data does not exist" >&2
  exit 2
fi

out="$root/target/injecagent"
mkdir -p "$out"
files=(tools.json attacker_simulated_responses.json
  test_cases_dh_base.json test_cases_dh_enhanced.json test_cases_ds_base.json test_cases_ds_enhanced.json)

# A git directory without a work tree (what a mirror holds): take the data
# files out of HEAD.
if [ ! -e "$data/tools.json" ] && [ ! -e "$data/data/tools.json" ] \
  && git --git-dir="$data" rev-parse -q --verify 'HEAD^{commit}' > /dev/null 2>&1; then
  commit="$(git --git-dir="$data" rev-parse HEAD)"
  echo "==> reading InjecAgent's data/ from $data at $commit"
  mkdir -p "$out/data"
  for f in "${files[@]}"; do
    if ! git --git-dir="$data" show "HEAD:data/$f" > "$out/data/$f" 2>/dev/null; then
      echo "run.sh: $data has no data/$f at HEAD (large files may be missing from a mirror)" >&2
      exit 2
    fi
  done
  data="$out/data"
fi

start=$SECONDS
echo "==> generating sessions into target/injecagent/otlp"
python3 "$here/generate.py" "$data" --out "$out/otlp"

echo "==> building reshimu-collector ($profile)"
cargo_flags=(-p reshimu-collector --quiet)
[ "$profile" = release ] && cargo_flags+=(--release)
(cd "$root" && cargo build "${cargo_flags[@]}")
collector="${CARGO_TARGET_DIR:-$root/target}/$profile/reshimu-collector"

echo "==> scoring"
score_start=$SECONDS
"$collector" score --format jsonl "$out"/otlp/*.jsonl > "$out/scores.jsonl"
echo "    scored in $((SECONDS - score_start)) s"

echo "==> figures"
python3 "$here/evaluate.py" "$out/otlp" "$out/scores.jsonl" --json "$out/summary.json"
echo
echo "done in $((SECONDS - start)) s; figures in target/injecagent/summary.json"

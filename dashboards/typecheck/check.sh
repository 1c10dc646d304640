#!/usr/bin/env bash
# Type-checks the dashboards against Grafana's published types and the
# provisioning files against the ClickHouse plugin's documented keys.
#
#   dashboards/typecheck/check.sh [check.mjs options, e.g. --dashboards DIR]
#
# The pinned npm packages (package-lock.json) are installed once into
# target/dashboard-typecheck/ and reinstalled only when the lockfile changes.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/target/dashboard-typecheck"

if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" || [[ ! -d "$cache/node_modules" ]]; then
    echo "dashboards/typecheck: installing the pinned packages into $cache" >&2
    rm -rf "$cache"
    mkdir -p "$cache"
    cp "$here/package.json" "$here/package-lock.json" "$cache/"
    (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
exec node "$here/check.mjs" --modules "$cache/node_modules" --work "$cache/generated" "$@"

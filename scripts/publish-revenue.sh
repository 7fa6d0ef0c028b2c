#!/usr/bin/env bash
# Publishes the sample as a `revenue` binary (framework-dependent: it needs the .NET 10 runtime
# on the machine, not the SDK), then checks it: the published binary must run `generate` and
# `batch`, and the batch's revenue.csv must hold one row per (day, product) whose sums match an
# independent GROUP BY of orders.csv done here in awk.
#
# Usage: scripts/publish-revenue.sh [OUTPUT_DIR]     (default: artifacts/revenue in the repo, git-ignored)
#        then: OUTPUT_DIR/revenue generate --orders 100000 --days 3 --seed 1 --out orders.csv
# Exit 0 on success; non-zero with the reason otherwise. The check's temp files are removed.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/artifacts/revenue}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet publish "$repo/samples/Revenue/Revenue.csproj" -c Release -o "$out" --nologo -v quiet
bin="$out/revenue"
[[ -x "$bin" ]] || { echo "publish-revenue: $bin was not produced" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/revenue-publish-check.XXXXXX")"
trap 'rm -rf "$work"' EXIT

"$bin" generate --orders 20000 --days 2 --seed 3 --out "$work/orders.csv" 2>/dev/null
"$bin" batch --input "$work/orders.csv" --out "$work/revenue.csv" 2>/dev/null

# GROUP BY (UTC day, product) of orders.csv, in awk, against the binary's revenue.csv (rows as a set).
awk -F, 'NR > 1 { k = substr($6, 1, 10) "," $2; rev[k] += $4 * $5; n[k]++ }
         END { for (k in rev) printf "%s,%.0f,%d\n", k, rev[k], n[k] }' "$work/orders.csv" | sort > "$work/expected.csv"
tail -n +2 "$work/revenue.csv" | sort > "$work/actual.csv"
head -1 "$work/revenue.csv" | grep -qx 'day,product_id,revenue_cents,orders' \
  || { echo "publish-revenue: revenue.csv has the wrong header" >&2; exit 1; }
if ! cmp -s "$work/expected.csv" "$work/actual.csv"; then
  echo "publish-revenue: the published binary's batch output differs from a GROUP BY of its input:" >&2
  diff "$work/expected.csv" "$work/actual.csv" | head -10 >&2
  exit 1
fi
echo "publish-revenue: $bin runs generate + batch ($(wc -l < "$work/actual.csv") rows agree with a GROUP BY)"

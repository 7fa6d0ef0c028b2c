#!/usr/bin/env bash
# Rebuilds Kernel.Bench/baseline.json as the median of N gate runs on this machine, keeping each
# metric's tolerance and warn-only flag (new metrics get the gate's default tolerance).
# A single run is a poor baseline on a shared machine: one lucky or unlucky run moves every
# later comparison. Usage: scripts/gate-baseline.sh [N=5]   (about 90 s per run on 2 cores)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
dotnet build "$repo/Kernel.Bench/Kernel.Bench.csproj" -c Release >/dev/null
for i in $(seq 1 "$runs"); do
  cp "$repo/Kernel.Bench/baseline.json" "$work/run$i.json"
  echo "gate-baseline: run $i of $runs" >&2
  dotnet run -c Release --no-build --project "$repo/Kernel.Bench" -- gate --update-baseline \
    --baseline "$work/run$i.json" >/dev/null
done
python3 - "$repo/Kernel.Bench/baseline.json" "$work"/run*.json <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], [json.load(open(p)) for p in sys.argv[2:]]
merged = {}
for name in sorted(set().union(*runs)):
    entries = [r[name] for r in runs if name in r]
    entry = dict(entries[0])
    entry["value"] = round(statistics.median(e["value"] for e in entries), 4)
    merged[name] = entry
with open(out, "w") as f:
    json.dump(merged, f, indent=2)
    f.write("\n")
print(f"gate-baseline: {len(merged)} metrics, median of {len(runs)} runs, written to {out}")
PY

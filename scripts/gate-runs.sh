#!/usr/bin/env bash
# Runs the gate N times on the unchanged tree and prints one markdown row per run (time, suites
# that needed a re-measure and for which figure, regressions), then the false-alarm count:
# how BENCHMARKS.md's "does the gate cry wolf" table is produced.
# Usage: scripts/gate-runs.sh [N=10] [extra gate arguments...]   (about 2-3 min per run on 2 cores)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${1:-10}"
shift || true
# GATE_RUNS_DIR keeps each run's full output (run<i>.out) for a closer look; else a temporary folder.
if [ -n "${GATE_RUNS_DIR:-}" ]; then
  work="$GATE_RUNS_DIR"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi
dotnet build "$repo/Kernel.Bench/Kernel.Bench.csproj" -c Release >/dev/null
echo "| run | started (UTC) | time | re-measured | regressions |"
echo "|---:|---|---:|---|---|"
alarms=0
for i in $(seq 1 "$runs"); do
  started="$(date -u +%H:%M)"
  status=0
  dotnet run -c Release --no-build --project "$repo/Kernel.Bench" -- gate "$@" >"$work/run$i.out" 2>/dev/null || status=$?
  secs="$(sed -n 's/^gate: [0-9]* metrics in \([0-9]*\) s.*/\1/p' "$work/run$i.out")"
  retried="$(sed -n 's/^gate: suite \([a-z0-9-]*\) [0-9]* s (\([0-9]\) attempts; re-measured for \(.*\))$/\1 ×\2 (\3)/p' "$work/run$i.out" | paste -sd ';' - | sed 's/;/; /g')"
  regressions="$(sed -n 's/^gate: REGRESSION //p' "$work/run$i.out" | paste -sd ',' - | sed 's/,/, /g')"
  if [ -n "$regressions" ] || [ "$status" -ne 0 ]; then alarms=$((alarms + 1)); fi
  echo "| $i | $started | ${secs:-?} s | ${retried:-—} | ${regressions:-0} |"
done
echo
echo "gate-runs: $alarms of $runs runs reported a regression (exit codes and REGRESSION lines)"

#!/usr/bin/env python3
"""Renders BENCHMARKS.md from quick-mode runs.

  scripts/bench-report.py RESULTS_DIR > BENCHMARKS.md

RESULTS_DIR holds one `<suite>.jsonl` per suite (the stdout of
`dotnet run -c Release --project Kernel.Bench -- quick <suite>`) and `machine.txt`
(free text about the machine and date). The paragraph under each table, saying what limits
the figures, comes from Kernel.Bench/Notes/<suite>.md: written by people, kept beside the code;
Notes/_summary.md (targets against figures) opens the page and Notes/_gate.md closes it.
"""
import json, os, sys

def fmt(v):
    if v is None:
        return "-"
    a = abs(v)
    if a >= 1e9: return f"{v/1e9:.2f} G"
    if a >= 1e6: return f"{v/1e6:.2f} M"
    if a >= 1e3: return f"{v/1e3:.1f} k"
    if a >= 10: return f"{v:.1f}"
    return f"{v:.3g}"

def main():
    results = sys.argv[1]
    here = os.path.dirname(os.path.abspath(__file__))
    notes = os.path.join(here, "..", "Kernel.Bench", "Notes")
    out = ["# Benchmarks", ""]
    machine = os.path.join(results, "machine.txt")
    if os.path.exists(machine):
        out += [open(machine).read().strip(), ""]
    out += ["Every ratio compares two figures measured in the same process, one after the other "
            "(median of repeats after warm-up), so a slower or busier machine moves both sides. "
            "Absolute rates on this shared 2-core machine move by up to 2× between runs; ratios much less.", ""]
    summary = os.path.join(notes, "_summary.md")
    if os.path.exists(summary):
        out += [open(summary).read().strip(), ""]
    for name in sorted(f for f in os.listdir(results) if f.endswith(".jsonl")):
        suite = name[:-6]
        records = [json.loads(l) for l in open(os.path.join(results, name)) if l.strip()]
        out += [f"## {suite}", "", f"`dotnet run -c Release --project Kernel.Bench -- quick {suite}`", ""]
        ratios = [r for r in records if "metric" not in r]
        metrics = [r for r in records if "metric" in r]
        if ratios:
            out += ["| case | ops/s | baseline | baseline ops/s | ratio | bytes/op |", "|---|---:|---|---:|---:|---:|"]
            for r in ratios:
                out.append(f"| {r['case']} | {fmt(r['ops_per_sec'])} | {r['baseline']} | {fmt(r['baseline_ops_per_sec'])} | "
                           f"**{r['ratio']:.2f}×** | {r['alloc_bytes_per_op']:.2g} |")
            out.append("")
        if metrics:
            out += ["| case | metric | value | unit |", "|---|---|---:|---|"]
            for r in metrics:
                out.append(f"| {r['case']} | {r['metric']} | {fmt(r['value'])} | {r['unit']} |")
            out.append("")
        note = os.path.join(notes, suite + ".md")
        if os.path.exists(note):
            out += [open(note).read().strip(), ""]
    gate = os.path.join(notes, "_gate.md")
    if os.path.exists(gate):
        out += [open(gate).read().strip(), ""]
    sys.stdout.write("\n".join(out) + "\n")

main()

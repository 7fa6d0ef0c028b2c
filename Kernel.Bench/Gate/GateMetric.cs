using Kernel.Bench.Quick;

namespace Kernel.Bench.Gate;

/// <summary>How one measured figure is compared with its baseline.</summary>
public enum GateDirection
{
    /// <summary>Higher is better (a ratio to a baseline, a rate): fails when it drops by more than the tolerance fraction.</summary>
    Higher,

    /// <summary>Lower is better (bytes allocated, a latency): fails when it rises by more than the tolerance.</summary>
    Lower,
}

/// <summary>A figure the gate checks, named <c>suite/case/baseline:kind</c>.</summary>
public readonly record struct GateMetric(string Name, double Value, GateDirection Direction)
{
    /// <summary>The gated figures of one quick record: its ratio and its allocation, or its metric.</summary>
    public static IEnumerable<GateMetric> From(QuickRecord r)
    {
        if (r.IsMetric)
        {
            var lower = r.Unit is "us" or "ms" or "ns" or "s" or "bytes" or "B";
            yield return new($"{r.Suite}/{r.Case}:{r.Metric}", r.Value, lower ? GateDirection.Lower : GateDirection.Higher);
            yield break;
        }
        yield return new($"{r.Suite}/{r.Case}/{r.Baseline}:ratio", r.Ratio, GateDirection.Higher);
        yield return new($"{r.Suite}/{r.Case}/{r.Baseline}:alloc_bytes_per_op", r.AllocBytesPerOp, GateDirection.Lower);
    }

    /// <summary>True when this measurement is within the entry's tolerance.</summary>
    public bool Passes(GateEntry e) => Direction == GateDirection.Higher
        ? Value >= e.Value * (1 - e.Tolerance)
        : Value <= e.Value + e.Tolerance;

    /// <summary>The default tolerance for a new entry: 35% on ratios, half a byte on allocations, 100% on latencies.</summary>
    public double DefaultTolerance() => Direction switch
    {
        GateDirection.Higher => 0.35,
        _ when Name.EndsWith(":alloc_bytes_per_op", StringComparison.Ordinal) => 0.5,
        _ => Math.Max(1, Value),
    };
}

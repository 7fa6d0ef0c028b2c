using Kernel.Operators;
using Kernel.Tests.Operators.Specs;

namespace Kernel.Tests.Operators;

/// <summary>Records every row an operator emits, in order.</summary>
public sealed class RowCollector : IRowSink<RevenueRow>
{
    public List<(RevenueRow Row, RowRevision Revision)> Rows { get; } = new();

    public void OnRow(in RevenueRow row, in RowRevision revision) => Rows.Add((row, revision));

    /// <summary>The rows as compact text: "key@start-end:orders/revenue rN[F]".</summary>
    public string[] Lines() => Rows.Select(r =>
        $"{r.Row.ProductId}@{r.Row.WindowStartMs}-{r.Row.WindowEndMs}:{r.Row.Orders}/{r.Row.RevenueCents} r{r.Revision.Revision}{(r.Revision.IsFinal ? "F" : "")}").ToArray();

    /// <summary>The latest row per (key, window start, window end).</summary>
    public Dictionary<(long Key, long Start, long End), RevenueRow> Latest()
    {
        var latest = new Dictionary<(long, long, long), (RevenueRow Row, int Revision)>();
        foreach (var (row, rev) in Rows)
        {
            var k = (row.ProductId, row.WindowStartMs, row.WindowEndMs);
            if (!latest.TryGetValue(k, out var prev) || rev.Revision > prev.Revision) latest[k] = (row, rev.Revision);
        }
        return latest.ToDictionary(p => p.Key, p => p.Value.Row);
    }

    public void Clear() => Rows.Clear();
}

/// <summary>A sink that only counts (allocation tests).</summary>
public sealed class CountingSink : IRowSink<RevenueRow>
{
    public long Count;
    public long Revenue;

    public void OnRow(in RevenueRow row, in RowRevision revision)
    {
        Count++;
        Revenue += row.RevenueCents;
    }
}

/// <summary>Records late events.</summary>
public sealed class LateCollector : ILateEventSink<Order>
{
    public List<(long Time, long Watermark)> Events { get; } = new();

    public void OnLateEvent(in Order e, long eventTimeMs, long watermark) => Events.Add((eventTimeMs, watermark));
}

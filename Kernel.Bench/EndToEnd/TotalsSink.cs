using Kernel.Operators;

namespace Kernel.Bench.EndToEnd;

/// <summary>The operator's sink: totals only (the benchmark measures the query, not an output).</summary>
public sealed class TotalsSink : IRowSink<DailyProductRevenue>
{
    /// <summary>The totals so far.</summary>
    public HeadlineTotals Totals;

    /// <inheritdoc/>
    public void OnRow(in DailyProductRevenue row, in RowRevision revision) => Totals.Add(row);
}

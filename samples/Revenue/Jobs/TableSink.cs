using Kernel.Operators;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>Collects the operator's final rows into a <see cref="RevenueTable"/>.</summary>
public sealed class TableSink(RevenueTable table) : IRowSink<DailyRevenue>
{
    /// <summary>Rows seen, final or not.</summary>
    public long RowsSeen { get; private set; }

    /// <inheritdoc />
    public void OnRow(in DailyRevenue row, in RowRevision revision)
    {
        RowsSeen++;
        if (revision.IsFinal) table.Add(row);
    }
}

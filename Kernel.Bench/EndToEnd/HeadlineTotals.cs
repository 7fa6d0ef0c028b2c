namespace Kernel.Bench.EndToEnd;

/// <summary>
/// What a run of the headline query produced: rows, their summed revenue and orders, late events.
/// Every case must produce the same totals (checked after the warm-up), so no case is fast because it
/// skipped work. Also the operator's row sink.
/// </summary>
public struct HeadlineTotals : IEquatable<HeadlineTotals>
{
    /// <summary>Rows emitted.</summary>
    public long Rows;

    /// <summary>Sum of the rows' revenue.</summary>
    public long Revenue;

    /// <summary>Sum of the rows' order counts.</summary>
    public long Orders;

    /// <summary>Events dropped as late.</summary>
    public long Late;

    /// <summary>Counts one row.</summary>
    public void Add(in DailyProductRevenue row)
    {
        Rows++;
        Revenue += row.RevenueCents;
        Orders += row.Orders;
    }

    /// <inheritdoc/>
    public readonly bool Equals(HeadlineTotals other) =>
        Rows == other.Rows && Revenue == other.Revenue && Orders == other.Orders && Late == other.Late;

    /// <inheritdoc/>
    public override readonly bool Equals(object? obj) => obj is HeadlineTotals t && Equals(t);

    /// <inheritdoc/>
    public override readonly int GetHashCode() => HashCode.Combine(Rows, Revenue, Orders, Late);

    /// <inheritdoc/>
    public override readonly string ToString() => $"rows {Rows}, revenue {Revenue}, orders {Orders}, late {Late}";
}

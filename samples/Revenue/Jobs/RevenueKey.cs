using Kernel.Sinks;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>A <see cref="DailyRevenue"/> row's identity in the results table: (product, day).</summary>
public readonly struct RevenueKey : IResultKeySelector<DailyRevenue, long>
{
    /// <inheritdoc />
    public long KeyOf(in DailyRevenue row) => row.ProductId;

    /// <inheritdoc />
    public long WindowStartOf(in DailyRevenue row) => row.DayStartMs;
}

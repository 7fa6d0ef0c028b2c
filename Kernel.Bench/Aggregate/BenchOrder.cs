using Kernel;

namespace Kernel.Bench.Aggregate;

/// <summary>The headline event as the benchmarks declare it: the generator compiles the aggregations over it.</summary>
[StreamEvent]
public partial struct BenchOrder
{
    /// <summary>Order id.</summary>
    public long OrderId;

    /// <summary>Product (the key).</summary>
    public long ProductId;

    /// <summary>Customer.</summary>
    public long CustomerId;

    /// <summary>Unit price in cents.</summary>
    public long PriceCents;

    /// <summary>Units.</summary>
    public int Quantity;

    /// <summary>Event time, Unix ms.</summary>
    [EventTime]
    public long TimestampMs;

    /// <summary>Price × quantity.</summary>
    public readonly long RevenueCents => PriceCents * Quantity;

    /// <summary>Paid orders have a price.</summary>
    public readonly bool IsPaid => PriceCents > 0;
}

namespace Kernel.Bench.Aggregate;

/// <summary>
/// The headline event, declared by hand for the benchmarks. STAND-IN: once the generator lands, the
/// integrator replaces it with the <c>[StreamEvent]</c> <c>Order</c> of the sample.
/// </summary>
public struct BenchOrder
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
    public long TimestampMs;

    /// <summary>Price × quantity.</summary>
    public readonly long RevenueCents => PriceCents * Quantity;

    /// <summary>Paid orders have a price.</summary>
    public readonly bool IsPaid => PriceCents > 0;
}

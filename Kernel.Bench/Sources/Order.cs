namespace Kernel.Bench.Sources;

/// <summary>One order event of the ingestion benchmark; <see cref="EventTimeMs"/> is Unix milliseconds.</summary>
public struct Order
{
    public long OrderId;
    public long ProductId;
    public long CustomerId;
    public long PriceCents;
    public long Quantity;
    public long EventTimeMs;
}

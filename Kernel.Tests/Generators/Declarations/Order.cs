namespace Kernel.Tests.Generators.Declarations;

/// <summary>The order event: compiled by the generator running on this test project.</summary>
[StreamEvent]
public partial struct Order
{
    public long OrderId;
    public long ProductId;
    public long CustomerId;
    public long PriceCents;
    public int Quantity;

    [EventTime]
    public long TimestampMs;

    public readonly long RevenueCents => PriceCents * Quantity;

    public readonly bool IsPaid => PriceCents > 0;
}

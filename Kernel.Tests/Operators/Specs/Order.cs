namespace Kernel.Tests.Operators.Specs;

/// <summary>The headline event, written by hand (the generator's <c>[StreamEvent]</c> is not used here).</summary>
public struct Order
{
    public long OrderId;
    public long ProductId;
    public long CustomerId;
    public long PriceCents;
    public int Quantity;
    public long TimestampMs;

    public readonly long RevenueCents => PriceCents * Quantity;
    public readonly bool IsPaid => PriceCents > 0;

    public static Order Of(long productId, long timestampMs, long priceCents = 100, int quantity = 1, long orderId = 0) =>
        new() { OrderId = orderId, ProductId = productId, PriceCents = priceCents, Quantity = quantity, TimestampMs = timestampMs };
}

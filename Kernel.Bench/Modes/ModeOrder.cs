namespace Kernel.Bench.Modes;

/// <summary>The order event of the <c>modes</c> suite (generated codecs and parsers).</summary>
[StreamEvent]
public partial struct ModeOrder
{
    /// <summary>The order's id.</summary>
    public long OrderId;

    /// <summary>The product ordered.</summary>
    public long ProductId;

    /// <summary>The unit price in cents (0 = not paid).</summary>
    public long PriceCents;

    /// <summary>Units ordered.</summary>
    public int Quantity;

    /// <summary>Event time, Unix ms.</summary>
    [EventTime]
    public long TimestampMs;

    /// <summary>Price × quantity.</summary>
    public readonly long RevenueCents => PriceCents * Quantity;

    /// <summary>True when the order was paid.</summary>
    public readonly bool IsPaid => PriceCents > 0;
}

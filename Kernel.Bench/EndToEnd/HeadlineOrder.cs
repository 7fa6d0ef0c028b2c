namespace Kernel.Bench.EndToEnd;

/// <summary>
/// The headline job's event, declared for the generator (it emits the CSV and JSON-lines codecs;
/// the benchmark feeds pre-generated values). 40 bytes, unmanaged, so the journal copies it raw.
/// </summary>
[StreamEvent]
public partial struct HeadlineOrder
{
    /// <summary>Order id (the journal's source position in the <c>ring-journal</c> case).</summary>
    public long OrderId;

    /// <summary>Product (the key).</summary>
    public long ProductId;

    /// <summary>Unit price in cents; 0 for an unpaid order.</summary>
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

using Kernel;

namespace Revenue.Model;

/// <summary>One order, as a line of orders.csv. The generator gives it CSV and JSON-lines codecs.</summary>
[StreamEvent]
public partial struct Order
{
    /// <summary>The order's id.</summary>
    public long OrderId;

    /// <summary>The product ordered.</summary>
    public long ProductId;

    /// <summary>The customer who ordered.</summary>
    public long CustomerId;

    /// <summary>Unit price in cents.</summary>
    public long PriceCents;

    /// <summary>Units ordered.</summary>
    public long Quantity;

    /// <summary>When the order happened (Unix ms; ISO-8601 in the file).</summary>
    [EventTime, Column("event_time")]
    public long TimestampMs;

    /// <summary>What the order is worth: price × quantity.</summary>
    public readonly long RevenueCents => PriceCents * Quantity;
}

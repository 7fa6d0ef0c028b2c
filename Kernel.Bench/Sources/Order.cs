using Kernel;

namespace Kernel.Bench.Sources;

/// <summary>One order event of the ingestion benchmarks; the generator gives it <c>Order.Csv.Parser</c>.</summary>
[StreamEvent]
public partial struct Order
{
    /// <summary>Order id.</summary>
    public long OrderId;

    /// <summary>Product.</summary>
    public long ProductId;

    /// <summary>Customer.</summary>
    public long CustomerId;

    /// <summary>Unit price in cents.</summary>
    public long PriceCents;

    /// <summary>Units.</summary>
    public long Quantity;

    /// <summary>Event time, Unix ms (ISO-8601 in the file).</summary>
    [EventTime, Column("event_time")]
    public long EventTimeMs;
}

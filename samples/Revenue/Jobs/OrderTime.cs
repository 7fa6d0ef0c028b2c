using Kernel.Journal;
using Revenue.Model;

namespace Revenue.Jobs;

/// <summary>An order's event time, for the journal's timestamps.</summary>
public readonly struct OrderTime : IEventTimestamp<Order>
{
    /// <inheritdoc />
    public long TimestampOf(in Order e) => e.TimestampMs;
}

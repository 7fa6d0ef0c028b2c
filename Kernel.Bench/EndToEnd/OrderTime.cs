using Kernel.Journal;

namespace Kernel.Bench.EndToEnd;

/// <summary>The journal record's timestamp: the order's event time (inlined, a struct).</summary>
public readonly struct OrderTime : IEventTimestamp<HeadlineOrder>
{
    /// <inheritdoc/>
    public long TimestampOf(in HeadlineOrder e) => e.TimestampMs;
}

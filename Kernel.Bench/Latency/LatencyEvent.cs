namespace Kernel.Bench.Latency;

/// <summary>
/// The latency suite's event: a key, an amount, and the time the producer <em>intended</em> to send it
/// (Stopwatch ticks), which is what latency is measured from (coordinated omission corrected).
/// </summary>
[StreamEvent]
public partial struct LatencyEvent
{
    /// <summary>Key (10,000 distinct, round-robin).</summary>
    public long Key;

    /// <summary>Amount summed per key.</summary>
    public long Amount;

    /// <summary>Intended send time, <see cref="System.Diagnostics.Stopwatch.GetTimestamp"/> ticks.</summary>
    public long IntendedTicks;
}

namespace Kernel.Bench.Latency;

/// <summary>Running sum and count per key: the state the measured events must reach (generated spec).</summary>
[Aggregation(typeof(LatencyEvent))]
public partial struct LatencyTotals
{
    /// <summary>Key.</summary>
    [Key] public long Key;

    /// <summary>Sum of amounts.</summary>
    [Sum(nameof(LatencyEvent.Amount))] public long Amount;

    /// <summary>Events.</summary>
    [Count] public long Events;
}

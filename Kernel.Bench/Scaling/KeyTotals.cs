namespace Kernel.Bench.Scaling;

/// <summary>Sum and count per key (generated spec; 16 bytes of state per key).</summary>
[Aggregation(typeof(KeyedTick))]
public partial struct KeyTotals
{
    /// <summary>Key.</summary>
    [Key] public long Key;

    /// <summary>Sum of values.</summary>
    [Sum(nameof(KeyedTick.Value))] public long Sum;

    /// <summary>Events.</summary>
    [Count] public long Count;
}

namespace Kernel;

/// <summary>What a field of an aggregation's key or state holds; part of its <see cref="StateSchema"/>.</summary>
public enum AggregateKind
{
    /// <summary>A grouping key component.</summary>
    Key = 0,

    /// <summary>A running sum.</summary>
    Sum = 1,

    /// <summary>A running count of events.</summary>
    Count = 2,

    /// <summary>The smallest value seen.</summary>
    Min = 3,

    /// <summary>The largest value seen.</summary>
    Max = 4,

    /// <summary>The sum half of an average.</summary>
    AvgSum = 5,

    /// <summary>The count half of an average.</summary>
    AvgCount = 6,

    /// <summary>The value of the earliest event.</summary>
    First = 7,

    /// <summary>The event time of the earliest event.</summary>
    FirstTime = 8,

    /// <summary>The value of the latest event.</summary>
    Last = 9,

    /// <summary>The event time of the latest event.</summary>
    LastTime = 10,

    /// <summary>The handle of a <c>[DistinctCount]</c> member's HyperLogLog (in the side state).</summary>
    DistinctCount = 11,

    /// <summary>The handle of a <c>[Sample]</c> member's reservoir (in the side state).</summary>
    Sample = 12,

    /// <summary>The handle of a <c>[TopK]</c> member's leaderboard (in the side state).</summary>
    TopK = 13,
}

namespace Kernel;

/// <summary>How an aggregation groups events in event time.</summary>
public enum WindowKind
{
    /// <summary>No window: one running row per key.</summary>
    None = 0,

    /// <summary>Fixed-size, non-overlapping windows <c>[start, start + size)</c>, aligned to an offset.</summary>
    Tumbling = 1,

    /// <summary>Fixed-size windows that start every slide; an event belongs to <c>size / slide</c> of them.</summary>
    Sliding = 2,

    /// <summary>Windows of activity per key separated by gaps of at least the session gap.</summary>
    Session = 3,
}

namespace Kernel.Bench.Ring;

/// <summary>The 24-byte event every ring benchmark moves (the size of a small order).</summary>
public struct BenchEvent
{
    /// <summary>An id.</summary>
    public long Id;

    /// <summary>A value the consumers sum, so the reads cannot be optimised away.</summary>
    public long Value;

    /// <summary>A timestamp.</summary>
    public long TimestampMs;

    /// <summary>Creates the event for number <paramref name="i"/>.</summary>
    public BenchEvent(long i)
    {
        Id = i;
        Value = i & 0xFF;
        TimestampMs = i;
    }
}

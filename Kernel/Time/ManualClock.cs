namespace Kernel.Time;

/// <summary>A clock that moves only when told to: deterministic processing time for tests and replays.</summary>
public sealed class ManualClock : IClock
{
    private long _nowMs;

    /// <summary>Creates a clock reading <paramref name="startMs"/>.</summary>
    public ManualClock(long startMs = 0) => _nowMs = startMs;

    /// <inheritdoc/>
    public long NowMs => Volatile.Read(ref _nowMs);

    /// <summary>Moves the clock forward by <paramref name="ms"/> (a negative value is refused: processing time never goes back).</summary>
    public void Advance(long ms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ms);
        Interlocked.Add(ref _nowMs, ms);
    }
}

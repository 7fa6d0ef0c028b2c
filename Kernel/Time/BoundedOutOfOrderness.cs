using System.Runtime.CompilerServices;

namespace Kernel.Time;

/// <summary>
/// The bounded-out-of-orderness watermark strategy of one source:
/// <c>W = (largest event time seen) − MaxOutOfOrderness − 1</c>. It never moves backwards: an event
/// older than the largest seen leaves it where it is. Before any event it is <see cref="long.MinValue"/>.
/// </summary>
public struct BoundedOutOfOrderness
{
    private readonly long _maxOutOfOrdernessMs;
    private long _maxEventTime;

    /// <summary>Creates the strategy with the given bound (milliseconds, not negative).</summary>
    public BoundedOutOfOrderness(long maxOutOfOrdernessMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxOutOfOrdernessMs);
        _maxOutOfOrdernessMs = maxOutOfOrdernessMs;
        _maxEventTime = long.MinValue;
    }

    /// <summary>The largest event time seen.</summary>
    public readonly long MaxEventTime => _maxEventTime;

    /// <summary>The watermark the events seen so far allow.</summary>
    public readonly long Current => WatermarkOf(_maxEventTime, _maxOutOfOrdernessMs);

    /// <summary>Records an event time; returns true when it is the largest seen (the watermark moved).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Observe(long eventTimeMs)
    {
        if (eventTimeMs <= _maxEventTime) return false;
        _maxEventTime = eventTimeMs;
        return true;
    }

    /// <summary><c>maxEventTime − maxOutOfOrderness − 1</c>, saturating at <see cref="long.MinValue"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long WatermarkOf(long maxEventTime, long maxOutOfOrdernessMs)
    {
        var w = maxEventTime - maxOutOfOrdernessMs - 1;
        return w > maxEventTime ? long.MinValue : w;   // wrapped around below MinValue
    }
}

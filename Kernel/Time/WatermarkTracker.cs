using System.Runtime.CompilerServices;

namespace Kernel.Time;

/// <summary>
/// Combines the watermarks of several sources into one: the minimum over the sources that are
/// neither idle nor ended (an ended source counts as +∞). A source that shows no activity for
/// <c>IdleTimeout</c> of processing time stops holding the watermark back until it is active again.
/// The combined watermark never moves backwards: a regression of one source, or an idle source
/// that comes back behind it, leaves it where it is (that source's older events are then late).
/// When every remaining source is idle the watermark stays where it is.
/// </summary>
/// <remarks>Single-threaded: owned by one operator.</remarks>
public sealed class WatermarkTracker
{
    private readonly long[] _watermarks;
    private readonly long[] _lastActiveMs;
    private readonly bool[] _idle;
    private readonly long _idleTimeoutMs;
    private long _combined = long.MinValue;

    /// <summary>Creates a tracker for <paramref name="sources"/> sources, all active as of <paramref name="nowMs"/>.</summary>
    /// <param name="sources">The number of sources (ids 0 … sources − 1).</param>
    /// <param name="idleTimeoutMs">Processing time without activity after which a source is idle; 0 = never.</param>
    /// <param name="nowMs">The processing time now.</param>
    public WatermarkTracker(int sources, long idleTimeoutMs, long nowMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sources, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(idleTimeoutMs);
        _watermarks = new long[sources];
        _lastActiveMs = new long[sources];
        _idle = new bool[sources];
        _idleTimeoutMs = idleTimeoutMs;
        Array.Fill(_watermarks, long.MinValue);
        Array.Fill(_lastActiveMs, nowMs);
    }

    /// <summary>The combined watermark.</summary>
    public long Current => _combined;

    /// <summary>The number of sources.</summary>
    public int Sources => _watermarks.Length;

    /// <summary>A source's own watermark.</summary>
    public long WatermarkOf(int source) => _watermarks[source];

    /// <summary>True while <paramref name="source"/> is idle.</summary>
    public bool IsIdle(int source) => _idle[source];

    /// <summary>
    /// Records a source's watermark (a regression is ignored); returns true when the combined
    /// watermark moved. Does not count as activity: call <see cref="MarkActive"/> for that.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Advance(int source, long watermark)
    {
        var old = _watermarks[source];
        if (watermark <= old) return false;
        _watermarks[source] = watermark;
        // Raising a source that was above the minimum, or an idle one, cannot move the minimum.
        return old <= _combined && !_idle[source] && Recompute();
    }

    /// <summary>
    /// Records activity of a source at processing time <paramref name="nowMs"/>; an idle source becomes active
    /// again. Returns true when that moved the combined watermark: a source advanced while idle counted for
    /// nothing then, and on its return it may be the only source not idle (until now the watermark stayed where
    /// it was), so its watermark becomes the combined one.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MarkActive(int source, long nowMs)
    {
        _lastActiveMs[source] = nowMs;
        return _idle[source] && Reactivate(source);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool Reactivate(int source)
    {
        _idle[source] = false;
        // Without this, a watermark raised while the source was idle stayed out of the minimum for good: each later
        // Advance of the source starts above the combined watermark, which skips the recomputation.
        return Recompute();
    }

    /// <summary>Marks the sources without activity for the idle timeout as idle; returns true when the combined watermark moved.</summary>
    public bool CheckIdle(long nowMs)
    {
        if (_idleTimeoutMs == 0) return false;
        var changed = false;
        for (var s = 0; s < _idle.Length; s++)
        {
            if (_idle[s] || _watermarks[s] == long.MaxValue) continue;
            if (nowMs - _lastActiveMs[s] >= _idleTimeoutMs)
            {
                _idle[s] = true;
                changed = true;
            }
        }
        return changed && Recompute();
    }

    /// <summary>
    /// After a restore has set each source's watermark (<see cref="Advance"/>): takes back the combined watermark
    /// <paramref name="combined"/> the checkpoint recorded. A source behind it (not ended) was idle then, since every
    /// source that holds the watermark is at or past it, so it is idle again until its next activity; the checkpoint
    /// does not say which of the others were idle, so they come back active as of <paramref name="nowMs"/>.
    /// </summary>
    internal void Restore(long combined, long nowMs)
    {
        for (var s = 0; s < _watermarks.Length; s++)
        {
            _lastActiveMs[s] = nowMs;
            _idle[s] = _watermarks[s] < combined;
        }
        if (combined > _combined) _combined = combined;
    }

    /// <summary>A source reached end of input: it no longer holds the watermark back. Returns true when the combined watermark moved.</summary>
    public bool EndOfInput(int source)
    {
        _watermarks[source] = long.MaxValue;
        _idle[source] = false;
        return Recompute();
    }

    private bool Recompute()
    {
        // The minimum over the sources neither idle nor ended (an ended one is +∞); +∞ once every source ended; and
        // where sources remain but all are idle, no move. An ended source must not count as one that holds W: with
        // the rest idle it would send W to +∞, firing every window and making every later event late.
        var min = long.MaxValue;
        bool remaining = false, active = false;
        for (var s = 0; s < _watermarks.Length; s++)
        {
            if (_watermarks[s] == long.MaxValue) continue;
            remaining = true;
            if (_idle[s]) continue;
            active = true;
            if (_watermarks[s] < min) min = _watermarks[s];
        }
        if ((remaining && !active) || min <= _combined) return false;
        _combined = min;
        return true;
    }
}

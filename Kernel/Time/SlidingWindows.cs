using System.Runtime.CompilerServices;

namespace Kernel.Time;

/// <summary>
/// Sliding windows <c>[start, start + size)</c> starting every <c>slide</c> (aligned to an offset),
/// computed by slicing: time is cut into panes of <c>gcd(size, slide)</c>; an event updates exactly
/// one pane, whatever size and slide are, and a window's result is the merge of its
/// <c>size / pane</c> panes when it fires.
/// </summary>
public static class SlidingWindows
{
    /// <summary>The pane length: the greatest common divisor of size and slide.</summary>
    public static long PaneSize(long sizeMs, long slideMs)
    {
        var a = sizeMs;
        var b = slideMs;
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }

    /// <summary>The start of the last (latest-starting) window that holds <paramref name="timeMs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long LastWindowStart(long timeMs, long slideMs, long offsetMs) => TumblingWindows.StartOf(timeMs, slideMs, offsetMs);

    /// <summary>The start of the first (earliest-starting) window that holds <paramref name="timeMs"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FirstWindowStart(long timeMs, long sizeMs, long slideMs, long offsetMs)
    {
        var last = LastWindowStart(timeMs, slideMs, offsetMs);
        // Windows holding t start in (t − size, last], every slide.
        var span = last - (timeMs - sizeMs + 1);
        return last - (span / slideMs) * slideMs;
    }

    /// <summary>How many windows hold each instant: <c>ceil(size / slide)</c>.</summary>
    public static long WindowsPerInstant(long sizeMs, long slideMs) => (sizeMs + slideMs - 1) / slideMs;
}

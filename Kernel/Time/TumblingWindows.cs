using System.Runtime.CompilerServices;

namespace Kernel.Time;

/// <summary>Assigns event times to tumbling windows <c>[start, start + size)</c> with <c>start ≡ offset (mod size)</c>.</summary>
public static class TumblingWindows
{
    /// <summary>The start of the window holding <paramref name="timeMs"/> (floor division, so negative times work).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long StartOf(long timeMs, long sizeMs, long offsetMs)
    {
        var rem = (timeMs - offsetMs) % sizeMs;
        if (rem < 0) rem += sizeMs;
        return timeMs - rem;
    }
}

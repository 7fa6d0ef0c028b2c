using System.Diagnostics;

namespace Kernel.Time;

/// <summary>The machine's monotonic clock (<see cref="Stopwatch"/>), in milliseconds.</summary>
public sealed class SystemClock : IClock
{
    /// <summary>The shared instance.</summary>
    public static SystemClock Instance { get; } = new();

    private SystemClock()
    {
    }

    /// <inheritdoc/>
    public long NowMs => Stopwatch.GetTimestamp() * 1000 / Stopwatch.Frequency;
}

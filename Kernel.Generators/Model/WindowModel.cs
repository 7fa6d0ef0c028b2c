namespace Kernel.Generators.Model;

/// <summary>The declared window, watermark, lateness and emit settings, durations already in milliseconds.</summary>
internal sealed record WindowModel(
    string Kind,
    long SizeMs,
    long SlideMs,
    long OffsetMs,
    long GapMs,
    long MaxOutOfOrdernessMs,
    long IdleTimeoutMs,
    long AllowedLatenessMs,
    string Emit,
    long EmitIntervalMs)
{
    public static WindowModel Default { get; } = new("None", 0, 0, 0, 0, 0, 0, 0, "Final", 0);
}

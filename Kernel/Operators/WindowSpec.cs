namespace Kernel.Operators;

/// <summary>
/// The event-time settings of an aggregation, as declared by its window, watermark, lateness
/// and emit attributes (all durations in milliseconds). Runtime options may override the
/// declared values; <see cref="Unwindowed"/> describes an aggregation without a window.
/// </summary>
public readonly record struct WindowSpec
{
    /// <summary>The window kind; <see cref="WindowKind.None"/> for one running row per key.</summary>
    public WindowKind Kind { get; init; }

    /// <summary>Window length (tumbling, sliding).</summary>
    public long SizeMs { get; init; }

    /// <summary>Distance between window starts (sliding); equals <see cref="SizeMs"/> for tumbling.</summary>
    public long SlideMs { get; init; }

    /// <summary>Shift of window boundaries from the Unix epoch (tumbling, sliding).</summary>
    public long OffsetMs { get; init; }

    /// <summary>Inactivity gap that closes a session (session windows).</summary>
    public long GapMs { get; init; }

    /// <summary>Bounded out-of-orderness of the watermark strategy.</summary>
    public long MaxOutOfOrdernessMs { get; init; }

    /// <summary>Processing time without events after which a source stops holding the watermark back; 0 = never idle.</summary>
    public long IdleTimeoutMs { get; init; }

    /// <summary>How long after a window fires late events still update it.</summary>
    public long AllowedLatenessMs { get; init; }

    /// <summary>When rows are emitted.</summary>
    public EmitMode Emit { get; init; }

    /// <summary>The period of <see cref="EmitMode.Periodic"/> emission.</summary>
    public long EmitIntervalMs { get; init; }

    /// <summary>The settings of an aggregation without a window.</summary>
    public static WindowSpec Unwindowed => default;
}

namespace Kernel.Modes;

/// <summary>Settings of a batch run.</summary>
public sealed class BatchOptions
{
    /// <summary>Events per call into the operator. Default 1024: large enough that the fused loop dominates, small enough to stay in cache.</summary>
    public int BatchSize { get; init; } = 1024;

    /// <summary>Called with the progress every <see cref="ProgressIntervalMs"/> and once at the end; null for none. Runs on the batch thread.</summary>
    public Action<BatchProgress>? Progress { get; init; }

    /// <summary>The least time between two progress reports (ms). Default 250.</summary>
    public long ProgressIntervalMs { get; init; } = 250;

    /// <summary>End the input when the run ends (the watermark jumps to +∞ and every window fires). Default true; false to feed several inputs into one operator.</summary>
    public bool CompleteAtEnd { get; init; } = true;

    /// <summary>The records the input holds, when the caller knows (for an ETA over an enumerable); spans, arrays and lists know it themselves.</summary>
    public long? TotalRecords { get; init; }

    internal static readonly BatchOptions Default = new();

    internal void Validate()
    {
        if (BatchSize < 1) ThrowOption(nameof(BatchSize), BatchSize, "must be at least 1");
        if (ProgressIntervalMs < 0) ThrowOption(nameof(ProgressIntervalMs), ProgressIntervalMs, "must not be negative");
        if (TotalRecords < 0) ThrowOption(nameof(TotalRecords), TotalRecords.Value, "must not be negative");
    }

    private static void ThrowOption(string name, long value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"BatchOptions.{name} {rule}.");
}

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

    /// <summary>
    /// Workers folding an in-memory input (span, array, list) at once, each into its own instance of
    /// the operator over a contiguous share of the input; the instances' states are merged into the
    /// caller's operator at the end, so the rows are those of a sequential run. 0 (the default) picks:
    /// one worker per processor, as long as each gets at least <see cref="MinEventsPerWorker"/> events.
    /// 1 runs on the calling thread only. Targets that cannot be split (windowed operators, queryable
    /// views, aggregations with sketches) and streamed inputs (enumerables, files, logs) always run
    /// on one thread.
    /// </summary>
    public int Parallelism { get; init; }

    /// <summary>The fewest events per worker when <see cref="Parallelism"/> is 0: below it, starting a thread costs more than it saves.</summary>
    public const int MinEventsPerWorker = 1 << 17;

    internal static readonly BatchOptions Default = new();

    /// <summary>The workers for an in-memory input of <paramref name="length"/> events.</summary>
    internal int WorkersFor(int length)
    {
        if (Parallelism == 1 || length < 2) return 1;
        if (Parallelism > 1) return Math.Min(Parallelism, length);
        return Math.Max(1, Math.Min(Environment.ProcessorCount, length / MinEventsPerWorker));
    }

    internal void Validate()
    {
        if (BatchSize < 1) ThrowOption(nameof(BatchSize), BatchSize, "must be at least 1");
        if (ProgressIntervalMs < 0) ThrowOption(nameof(ProgressIntervalMs), ProgressIntervalMs, "must not be negative");
        if (Parallelism < 0) ThrowOption(nameof(Parallelism), Parallelism, "must not be negative");
        if (TotalRecords < 0) ThrowOption(nameof(TotalRecords), TotalRecords.Value, "must not be negative");
    }

    private static void ThrowOption(string name, long value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"BatchOptions.{name} {rule}.");
}

namespace Kernel.Pipelines;

/// <summary>Settings of a <see cref="DurablePipeline{TEvent, TTime}"/>.</summary>
public sealed class DurablePipelineOptions
{
    /// <summary>The data directory: <c>journal/</c> and <c>checkpoints/</c> live here. One pipeline owns it.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>A fingerprint of the event's fields (names, types, order); the journal refuses to open for another layout.</summary>
    public required ulong EventLayoutFingerprint { get; init; }

    /// <summary>The pipeline's name (the kernel's name in metrics and logs).</summary>
    public string Name { get; init; } = "pipeline";

    /// <summary>Time between interval checkpoints.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a checkpoint may take before it is aborted.</summary>
    public TimeSpan CheckpointTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Complete checkpoints kept on disk.</summary>
    public int KeepCheckpoints { get; init; } = 3;

    /// <summary>Ring slots (a power of two).</summary>
    public int RingSize { get; init; } = 1 << 14;

    /// <summary>The number of sources (ids 0 … Sources − 1); end of input moves each one's watermark to +∞.</summary>
    public int Sources { get; init; } = 1;

    /// <summary>The journal's segment size in bytes.</summary>
    public long JournalSegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Deletes whole journal segments that no kept checkpoint replays (default true). The journal is
    /// then a bounded replay buffer rather than an archive of the input.
    /// </summary>
    public bool TruncateJournal { get; init; } = true;

    /// <summary>
    /// A savepoint directory (<see cref="Checkpoints.Savepoint"/>) to start from when the data
    /// directory holds no complete checkpoint: the operator's state is loaded (migrated if the state
    /// schema changed compatibly) and each source resumes after the position the savepoint recorded.
    /// Ignored once the pipeline has checkpoints of its own. Null (default): start from scratch.
    /// </summary>
    public string? RestoreFromSavepoint { get; init; }

    /// <summary>
    /// Incremental checkpoints (default true): an operator that supports them (tumbling and sliding
    /// windows without sketches) writes only what changed since the previous checkpoint into an LSM
    /// store in <see cref="StateDirectory"/>, whose checkpoint the pipeline's checkpoint records; the
    /// barrier's pause is then proportional to the changed entries, not to the state. False: every
    /// checkpoint copies the whole state into a file (always the case for session windows).
    /// </summary>
    public bool IncrementalCheckpoints { get; init; } = true;

    /// <summary>The operator state store's directory inside <see cref="DataDirectory"/> (incremental checkpoints).</summary>
    internal string StateDirectory => Path.Combine(DataDirectory, "state");

    /// <summary>The journal's directory inside <see cref="DataDirectory"/>.</summary>
    public string JournalDirectory => Path.Combine(DataDirectory, "journal");

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(DataDirectory, nameof(DataDirectory));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CheckpointInterval, TimeSpan.Zero, nameof(CheckpointInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CheckpointTimeout, TimeSpan.Zero, nameof(CheckpointTimeout));
        ArgumentOutOfRangeException.ThrowIfLessThan(KeepCheckpoints, 1, nameof(KeepCheckpoints));
        ArgumentOutOfRangeException.ThrowIfLessThan(Sources, 1, nameof(Sources));
    }
}

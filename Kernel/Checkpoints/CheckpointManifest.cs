namespace Kernel.Checkpoints;

/// <summary>
/// The record that makes a checkpoint complete: written last, atomically, into the checkpoint's
/// directory. A checkpoint without a valid manifest does not exist as far as recovery is concerned.
/// The binary layout is drawn in <see cref="CheckpointManifestFormat"/> and <c>docs/formats/checkpoint.md</c>.
/// </summary>
public sealed class CheckpointManifest
{
    private static readonly IReadOnlyDictionary<int, long> s_noSources = new Dictionary<int, long>();
    private static readonly IReadOnlyDictionary<string, long> s_noSinks = new Dictionary<string, long>(StringComparer.Ordinal);
    private static readonly IReadOnlyDictionary<string, ulong> s_noSchemas = new Dictionary<string, ulong>(StringComparer.Ordinal);

    /// <summary>The checkpoint id: positive, increasing, also the epoch of every sink it commits.</summary>
    public required long CheckpointId { get; init; }

    /// <summary>The ring sequence S of the barrier: the state reflects every entry before S and none after.</summary>
    public required long RingSequence { get; init; }

    /// <summary>The journal offset through which the journal was durable when the barrier passed it; replay starts here.</summary>
    public long JournalOffset { get; init; }

    /// <summary>The name of the LSM store's checkpoint directory holding the state as of S (empty when there is none).</summary>
    public string LsmCheckpoint { get; init; } = string.Empty;

    /// <summary>Per source id, the position of the last record the checkpoint covers.</summary>
    public IReadOnlyDictionary<int, long> SourcePositions { get; init; } = s_noSources;

    /// <summary>Per sink name, the epoch this checkpoint commits (its <see cref="CheckpointId"/>).</summary>
    public IReadOnlyDictionary<string, long> SinkEpochs { get; init; } = s_noSinks;

    /// <summary>Per aggregation name, the fingerprint of its state schema; a restore compares them.</summary>
    public IReadOnlyDictionary<string, ulong> SchemaFingerprints { get; init; } = s_noSchemas;

    /// <summary>When the manifest was written (UTC, millisecond precision on disk).</summary>
    public DateTimeOffset CreatedUtc { get; init; }

    /// <summary>What the checkpoint cost.</summary>
    public CheckpointStats Stats { get; init; }
}

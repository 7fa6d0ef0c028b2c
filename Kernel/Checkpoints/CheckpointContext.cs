namespace Kernel.Checkpoints;

/// <summary>
/// One checkpoint in flight, as participants see it: where to write state, and what to record in
/// the manifest. Participants may run concurrently; every member is thread-safe.
/// </summary>
public sealed class CheckpointContext
{
    // Guards every mutable field below; contention is a handful of calls per checkpoint.
    private readonly Lock _lock = new();
    private readonly Dictionary<int, long> _sourcePositions = [];
    private readonly Dictionary<string, ulong> _schemaFingerprints = new(StringComparer.Ordinal);
    private long _journalOffset;
    private string _lsmCheckpoint = string.Empty;
    private long _bytesReported;
    private long _keysWritten;
    private TimeSpan _pause;

    internal CheckpointContext(long checkpointId, long sequence, string directory)
    {
        CheckpointId = checkpointId;
        Sequence = sequence;
        Directory = directory;
    }

    /// <summary>The checkpoint id (also the sinks' epoch).</summary>
    public long CheckpointId { get; }

    /// <summary>The ring sequence S at which the barrier was injected.</summary>
    public long Sequence { get; }

    /// <summary>The checkpoint's directory; participants write their state files here.</summary>
    public string Directory { get; }

    /// <summary>The path for a state file named <paramref name="fileName"/> (a plain name, no directories; not <c>manifest</c>).</summary>
    public string GetStatePath(string fileName) => Combine(Directory, fileName);

    /// <summary>Records the position of the last record of source <paramref name="sourceId"/> the checkpoint covers.</summary>
    public void SetSourcePosition(int sourceId, long position)
    {
        lock (_lock) _sourcePositions[sourceId] = position;
    }

    /// <summary>Records the journal offset durable through the barrier (the journal's participant calls this).</summary>
    public void SetJournalOffset(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        lock (_lock) _journalOffset = offset;
    }

    /// <summary>Records the name of the LSM store's checkpoint directory (the store's participant calls this).</summary>
    public void SetLsmCheckpoint(string directoryName)
    {
        ArgumentNullException.ThrowIfNull(directoryName);
        lock (_lock) _lsmCheckpoint = directoryName;
    }

    /// <summary>Records the state-schema fingerprint of aggregation <paramref name="aggregation"/>.</summary>
    public void SetSchemaFingerprint(string aggregation, ulong fingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(aggregation);
        lock (_lock) _schemaFingerprints[aggregation] = fingerprint;
    }

    /// <summary>Adds bytes written outside the checkpoint directory (files inside it are measured by the coordinator).</summary>
    public void ReportBytesWritten(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Interlocked.Add(ref _bytesReported, bytes);
    }

    /// <summary>Adds state entries written (dirty keys).</summary>
    public void ReportKeysWritten(long keys)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keys);
        Interlocked.Add(ref _keysWritten, keys);
    }

    /// <summary>Reports how long this participant's hot path was held up by the snapshot; the checkpoint's pause is the longest reported.</summary>
    public void ReportPause(TimeSpan pause)
    {
        lock (_lock)
        {
            if (pause > _pause) _pause = pause;
        }
    }

    internal static string Combine(string directory, string fileName)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        if (fileName.IndexOfAny(['/', '\\']) >= 0 || fileName is "." or ".." || Path.IsPathRooted(fileName))
            throw new ArgumentException($"state file name '{fileName}' must be a plain file name", nameof(fileName));
        if (fileName.StartsWith(CheckpointStore.ManifestFileName, StringComparison.Ordinal))
            throw new ArgumentException($"state file name '{fileName}' is reserved for the manifest", nameof(fileName));
        return Path.Combine(directory, fileName);
    }

    internal CheckpointManifest ToManifest(IReadOnlyDictionary<string, long> sinkEpochs, DateTimeOffset created, TimeSpan duration, long bytesOnDisk)
    {
        lock (_lock)
        {
            return new CheckpointManifest
            {
                CheckpointId = CheckpointId,
                RingSequence = Sequence,
                JournalOffset = _journalOffset,
                LsmCheckpoint = _lsmCheckpoint,
                SourcePositions = new Dictionary<int, long>(_sourcePositions),
                SinkEpochs = sinkEpochs,
                SchemaFingerprints = new Dictionary<string, ulong>(_schemaFingerprints, StringComparer.Ordinal),
                CreatedUtc = created,
                Stats = new CheckpointStats(duration, _pause, bytesOnDisk + Interlocked.Read(ref _bytesReported), Interlocked.Read(ref _keysWritten)),
            };
        }
    }
}

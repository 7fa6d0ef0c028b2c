using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using Kernel.Operators;
using Kernel.Storage.Lsm;

namespace Kernel.Checkpoints;

/// <summary>
/// Checkpoints an operator that runs as a ring handler. Give it to the operator as its
/// <see cref="IControlListener"/> (<c>WindowOptions.Control</c>): when the barrier reaches the
/// operator, <see cref="OnBarrier"/> (on the operator's thread) copies the operator's complete state
/// into bytes and seals the epoch of every sink the operator writes to — that copy is the pause on
/// the hot path — and hands the bytes over through a <see cref="BarrierRendezvous{TSnapshot}"/>.
/// <see cref="SnapshotAsync"/> writes them to <c>&lt;name&gt;.state</c> in the checkpoint
/// directory off the hot path and records the aggregation's state fingerprint.
/// </summary>
/// <remarks>
/// Full snapshots by default. After <see cref="EnableIncremental"/> (a durable pipeline does it), an
/// operator that supports it (tumbling and sliding windows, unwindowed keyed aggregations; without sketches) hands each barrier only
/// its changes since the previous one; <see cref="SnapshotAsync"/> applies them to an LSM store in
/// that directory as one atomic batch, takes the store's checkpoint into <c>&lt;name&gt;.lsm/</c> and
/// writes the operator's small metadata to <c>&lt;name&gt;.meta</c>. Restore replaces the store with
/// the checkpoint's copy and rebuilds the state from both. See <c>docs/checkpoints.md</c>.
/// </remarks>
public sealed partial class OperatorParticipant : ICheckpointParticipant, IControlListener, IBarrierPreparation
{
    private const string StateSuffix = ".state";
    private readonly BarrierRendezvous<Capture> _rendezvous = new();
    private readonly List<Action<long>> _sealers = [];
    private ISnapshotOperator? _operator;

    // Incremental mode (null directory: full snapshots).
    private string? _storeDirectory;
    private byte[] _prefix = [];
    private readonly ConcurrentQueue<IncrementalCapture> _spare = new();
    // Guards _store, _lastWrittenId and _lastLsmFiles: the checkpoint writer and restore.
    private readonly Lock _storeLock = new();
    private LsmStore? _store;
    private long _lastWrittenId = -1;
    private HashSet<string> _lastLsmFiles = new(StringComparer.Ordinal);
    // The operator's thread only: the checkpoint of the last capture (the next delta is relative to it).
    private long _lastCaptureId = -1;
    // 1 when the next capture must be full (first in this process, after a failed write or an abort);
    // set by any thread, read and cleared by the operator's thread with Interlocked.
    private int _forceFull = 1;

    /// <summary>Creates the participant; <see cref="Bind"/> the operator once it exists.</summary>
    /// <param name="name">The participant's name, also its state file's name.</param>
    public OperatorParticipant(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The operator (after <see cref="Bind"/>).</summary>
    public ISnapshotOperator Operator => _operator ?? throw new InvalidOperationException($"participant '{Name}' has no operator; call Bind first");

    /// <summary>Compactions the live LSM store of incremental checkpoints has run (0 without a store): diagnostics of the checkpoint suite.</summary>
    internal long StoreCompactions
    {
        get { lock (_storeLock) return _store?.Compactions ?? 0; }
    }

    /// <summary>Ties the participant to the operator it snapshots (the operator was created with this participant as its control listener).</summary>
    public void Bind(ISnapshotOperator op)
    {
        ArgumentNullException.ThrowIfNull(op);
        if (_operator is not null) throw new InvalidOperationException($"participant '{Name}' is already bound to an operator");
        _operator = op;
    }

    /// <summary>
    /// Adds a call made on the operator's thread at each barrier, after the state is captured:
    /// typically <c>sink.SealEpoch</c> of a transactional sink the operator writes rows to, so rows
    /// written after the barrier go to the next epoch. Add before the pipeline starts.
    /// </summary>
    public void OnBarrierSeal(Action<long> seal)
    {
        ArgumentNullException.ThrowIfNull(seal);
        _sealers.Add(seal);
    }

    /// <summary>True when checkpoints write the operator's changes into the LSM store (<see cref="EnableIncremental"/> and an operator that supports it).</summary>
    public bool IsIncremental => _storeDirectory is not null && _operator is IIncrementalSnapshotOperator { SupportsIncremental: true };

    /// <summary>
    /// Makes checkpoints incremental when the operator supports it: the operator's state lives in an
    /// LSM store in <paramref name="storeDirectory"/> (a working copy the participant owns; restore
    /// replaces it with the checkpoint's copy). Call before the first barrier or restore.
    /// </summary>
    public void EnableIncremental(string storeDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(storeDirectory);
        var full = Path.GetFullPath(storeDirectory);
        if (_storeDirectory is not null && !string.Equals(_storeDirectory, full, StringComparison.Ordinal))
            throw new InvalidOperationException($"participant '{Name}' already keeps its state in {_storeDirectory}");
        _storeDirectory = full;
        _prefix = IncrementalKeys.Prefix(Name);
    }

    /// <inheritdoc />
    public void OnBarrier(long checkpointId, long sequence)
    {
        var start = Stopwatch.GetTimestamp();
        var op = Operator;
        if (_storeDirectory is not null && op is IIncrementalSnapshotOperator { SupportsIncremental: true } incremental)
        {
            var full = Interlocked.Exchange(ref _forceFull, 0) != 0;
            if (!_spare.TryDequeue(out var changes)) changes = new IncrementalCapture(_prefix);
            changes.Reset(checkpointId, full ? -1 : _lastCaptureId, full);
            incremental.CaptureChanges(changes, full);
            _lastCaptureId = checkpointId;
            foreach (var seal in _sealers) seal(checkpointId);
            changes.Pause = Stopwatch.GetElapsedTime(start);
            _rendezvous.Arrive(checkpointId, new Capture(null, changes.Keys, changes.Pause, changes));   // a struct: nothing allocated
        }
        else
        {
            var bytes = new ArrayBufferWriter<byte>(4096);
            op.WriteSnapshot(bytes);
            foreach (var seal in _sealers) seal(checkpointId);
            var keys = op.StateEntries;
            _rendezvous.Arrive(checkpointId, new Capture(bytes, keys, Stopwatch.GetElapsedTime(start), null));
        }
        // The operator's thread is inside the checkpoint: state captured, epochs sealed, nothing written.
        CrashPoints.Hit("at-barrier");
    }

    /// <summary>
    /// Maps the pages of the capture the next barrier fills (<see cref="IncrementalCapture.Prefault"/>),
    /// on the thread about to inject the barrier, so the operator's thread does not pay a page-table
    /// fault per page at the barrier. Nothing to do for full snapshots.
    /// </summary>
    void IBarrierPreparation.PrepareForBarrier(long checkpointId) => LastPrefaultBytes = _storeDirectory is not null && _spare.TryPeek(out var capture) ? capture.Prefault() : 0;

    /// <summary>Bytes of the capture buffer the last <see cref="IBarrierPreparation.PrepareForBarrier"/> touched (tests).</summary>
    internal int LastPrefaultBytes { get; private set; }

    /// <inheritdoc />
    public void OnEndOfInput(int sourceId, long sequence)
    {
    }

    /// <inheritdoc />
    public async ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var capture = await _rendezvous.WaitAsync(context.CheckpointId, cancellationToken).ConfigureAwait(false);
        if (capture.Changes is { } changes)
        {
            await Task.Run(() => WriteChanges(context, changes), cancellationToken).ConfigureAwait(false);
            await WriteFileAsync(context.GetStatePath(Name + IncrementalState.MetadataSuffix), changes.Metadata.WrittenMemory, cancellationToken).ConfigureAwait(false);
            changes.TrimAfterWrite();
            _spare.Enqueue(changes);
        }
        else
        {
            await WriteFileAsync(context.GetStatePath(Name + StateSuffix), capture.Bytes!.WrittenMemory, cancellationToken).ConfigureAwait(false);
        }
        context.SetSchemaFingerprint(Operator.AggregationName, Operator.StateFingerprint);
        context.ReportKeysWritten(capture.Keys);
        context.ReportPause(capture.Pause);
    }

    /// <inheritdoc />
    public async ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var op = Operator;
        var path = context.GetStatePath(Name + StateSuffix);
        var metadataPath = context.GetStatePath(Name + IncrementalState.MetadataSuffix);
        if (context.Manifest.SchemaFingerprints.TryGetValue(op.AggregationName, out var recorded) && recorded != op.StateFingerprint)
            throw new InvalidDataException(
                $"checkpoint {context.Manifest.CheckpointId}: aggregation '{op.AggregationName}' was checkpointed with state fingerprint 0x{recorded:X16}, this build has 0x{op.StateFingerprint:X16}; its state schema changed and the checkpoint cannot be restored");
        var incremental = !File.Exists(path) && File.Exists(metadataPath);
        if (!File.Exists(path) && !incremental)
            throw new InvalidDataException($"checkpoint {context.Manifest.CheckpointId}: the state file of participant '{Name}' ({path}, or {metadataPath} for an incremental checkpoint) is missing");
        byte[]? bytes = null;
        if (incremental)
        {
            var metadata = await File.ReadAllBytesAsync(metadataPath, cancellationToken).ConfigureAwait(false);
            // Incremental mode reads the store straight into the operator's tables; otherwise a full
            // snapshot is rebuilt from a temporary copy.
            bytes = await Task.Run(() => LoadIncremental(context, metadata, metadataPath), cancellationToken).ConfigureAwait(false);
            path = metadataPath;
        }
        else
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        if (bytes is not null)
        {
            try
            {
                op.RestoreSnapshot(bytes);
            }
            catch (InvalidDataException e)
            {
                throw new InvalidDataException($"{path}: {e.Message}", e);
            }
        }
        if (incremental && IsIncremental)
        {
            // The live store is now exactly the checkpoint's: the next capture is a delta from it.
            ((IIncrementalSnapshotOperator)op).MarkPersisted();
            _lastCaptureId = context.Manifest.CheckpointId;
            Volatile.Write(ref _forceFull, 0);
        }
        else
        {
            Volatile.Write(ref _forceFull, 1);
        }
    }

    /// <summary>
    /// Writes the operator's complete state in the operator snapshot format (what a savepoint holds)
    /// from checkpoint directory <paramref name="checkpointDirectory"/> to <paramref name="target"/>:
    /// a copy of a full snapshot, or one rebuilt from an incremental checkpoint's metadata and LSM store.
    /// </summary>
    internal void WriteFullState(string checkpointDirectory, long checkpointId, string target)
    {
        var full = CheckpointContext.Combine(checkpointDirectory, Name + StateSuffix);
        if (File.Exists(full))
        {
            File.Copy(full, target);
        }
        else
        {
            var metadataPath = CheckpointContext.Combine(checkpointDirectory, Name + IncrementalState.MetadataSuffix);
            if (!File.Exists(metadataPath))
                throw new InvalidDataException($"checkpoint {checkpointId} holds no state for participant '{Name}' ({full} or {metadataPath})");
            var bytes = ReadIncrementalCopy(Path.Combine(checkpointDirectory, Name + IncrementalState.LsmSuffix), File.ReadAllBytes(metadataPath), metadataPath, target + ".lsm-tmp");
            File.WriteAllBytes(target, bytes);
        }
        using var copied = new FileStream(target, FileMode.Open, FileAccess.ReadWrite);
        copied.Flush(flushToDisk: true);
    }

    /// <summary>
    /// Closes the LSM store of incremental checkpoints (a durable pipeline does it when disposed). A
    /// later checkpoint or restore opens it again; the next capture is then full.
    /// </summary>
    public void CloseStore()
    {
        lock (_storeLock)
        {
            _store?.Dispose();
            _store = null;
            _lastWrittenId = -1;
        }
        Volatile.Write(ref _forceFull, 1);
    }

    private static async ValueTask WriteFileAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
        await file.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        file.Flush(flushToDisk: true);
    }

    /// <summary>
    /// The state store's options. The store only ever gets one batch per checkpoint, flushed at once
    /// (<see cref="WriteChanges"/>), so its memtable is always empty when a batch arrives and a small
    /// <see cref="LsmOptions.MemtableBytes"/> makes it create a memtable sized to that batch. With
    /// the default (16 MiB) every checkpoint allocated a fresh 16 MiB arena, a 1.5 MiB key list and,
    /// as captured keys arrive out of order, a 4 MiB hash: 21 MiB of large-object heap per checkpoint
    /// (gen-2 collections in a run with a checkpoint a second) and every hash page first-touched at
    /// several microseconds each on a VM with shadow paging, for a batch of ~1 MiB at 10k dirty keys.
    /// </summary>
    private static LsmOptions StoreOptions(string directory) => new() { Directory = directory, BlockCacheBytes = 8L << 20, MemtableBytes = StoreMemtableBytes };

    /// <summary>See <see cref="StoreOptions"/>: below any real checkpoint's batch, so each batch gets a memtable of its own size.</summary>
    internal const int StoreMemtableBytes = 64 << 10;

    /// <summary>Bytes the last <see cref="WriteChanges"/> allocated on its thread (encode, store write, flush, store checkpoint); for tests.</summary>
    internal long LastWriteAllocatedBytes { get; private set; }

    /// <summary>Applies a capture to the live store and checkpoints the store into the checkpoint's directory (off the hot path).</summary>
    /// <remarks>
    /// The fsyncs an incremental checkpoint costs, and why each one stays:
    /// <list type="number">
    /// <item>The new table, at <c>_store.Flush()</c>: the checkpoint's copy hard-links it, so its bytes
    /// must be on disk before any manifest names it.</item>
    /// <item>The live store's manifest edit, also at the flush (inside the store). Not needed by
    /// checkpoints — a restore always replaces the working copy with a checkpoint's copy (the store
    /// opens without a WAL) — but the store offers no option to skip it.</item>
    /// <item>The copy's manifest and its directory, at <c>_store.Checkpoint</c>: they name the linked
    /// tables; without them the copy cannot be opened.</item>
    /// <item>The metadata file (<see cref="WriteFileAsync"/>): restore needs it with the copy.</item>
    /// <item>The checkpoint's manifest and its directory (the coordinator): the commit point.</item>
    /// </list>
    /// </remarks>
    private void WriteChanges(CheckpointContext context, IncrementalCapture changes)
    {
        var lsmName = Name + IncrementalState.LsmSuffix;
        var lsmDirectory = Path.Combine(context.Directory, lsmName);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        lock (_storeLock)
        {
            try
            {
                if (_store is null)
                {
                    // Nothing restored into the working copy: whatever a crashed run left there is garbage.
                    if (Directory.Exists(_storeDirectory)) Directory.Delete(_storeDirectory, recursive: true);
                    _store = LsmStore.Open(StoreOptions(_storeDirectory!));
                    _lastWrittenId = -1;
                    _lastLsmFiles.Clear();
                }
                if (!changes.Full && changes.PreviousId != _lastWrittenId)
                    throw new InvalidOperationException(
                        $"participant '{Name}': checkpoint {changes.CheckpointId} holds the changes since checkpoint {changes.PreviousId}, but the store holds those of {_lastWrittenId}; the next checkpoint writes the whole state");
                // The raw copies taken at the barrier become LSM operations here, off the operator's thread.
                changes.Encode();
                // Captured and encoded, nothing written: the live store still holds the previous checkpoint.
                CrashPoints.Hit("before-lsm-write");
                _store.Write(changes.Batch);
                _lastWrittenId = changes.CheckpointId;
                _store.Flush();
                // The live store holds this checkpoint's changes on disk; its checkpoint does not exist yet.
                CrashPoints.Hit("mid-lsm-flush");
                // Links the tables and writes the copy's manifest, syncing its directory; the checkpoint's
                // own manifest, written after every participant, syncs the directory holding it.
                _store.Checkpoint(lsmDirectory);
                LastWriteAllocatedBytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            }
            catch
            {
                Volatile.Write(ref _forceFull, 1);
                throw;
            }
            long written = 0;
            var files = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(lsmDirectory))
            {
                var name = Path.GetFileName(file);
                files.Add(name);
                if (!_lastLsmFiles.Contains(name)) written += new FileInfo(file).Length;
            }
            _lastLsmFiles = files;
            context.ReportBytesWritten(written);
        }
        context.SetLsmCheckpoint(lsmName);
    }

    /// <summary>
    /// Replaces the live store with the checkpoint's LSM copy and restores the operator from it and
    /// <paramref name="metadata"/> (null returned); when not incremental, rebuilds the full snapshot
    /// from a temporary copy and returns it.
    /// </summary>
    private byte[]? LoadIncremental(CheckpointRestoreContext context, byte[] metadata, string metadataPath)
    {
        var lsmDirectory = Path.Combine(context.Directory, Name + IncrementalState.LsmSuffix);
        if (!Directory.Exists(lsmDirectory))
            throw new InvalidDataException($"checkpoint {context.Manifest.CheckpointId}: the LSM checkpoint of participant '{Name}' ({lsmDirectory}) is missing");
        if (!IsIncremental)
            return ReadIncrementalCopy(lsmDirectory, metadata, metadataPath, Path.Combine(Path.GetTempPath(), "kernel-restore-" + Guid.NewGuid().ToString("N")));
        lock (_storeLock)
        {
            _store?.Dispose();
            _store = null;
            _lastWrittenId = -1;
            // Always replace: a checkpoint that aborted, or a crash after the store's write, may have
            // left changes newer than this checkpoint in the working copy.
            LsmStore.RestoreCheckpoint(lsmDirectory, _storeDirectory!);
            _store = LsmStore.Open(StoreOptions(_storeDirectory!));
            ((IIncrementalSnapshotOperator)Operator).RestoreFromStore(metadata, _store, _prefix, metadataPath);
            _lastWrittenId = context.Manifest.CheckpointId;
            _lastLsmFiles = new HashSet<string>(Directory.EnumerateFiles(lsmDirectory).Select(f => Path.GetFileName(f)), StringComparer.Ordinal);
            return null;
        }
    }

    private byte[] ReadIncrementalCopy(string lsmDirectory, byte[] metadata, string metadataPath, string scratch)
    {
        if (!Directory.Exists(lsmDirectory)) throw new InvalidDataException($"the LSM checkpoint of participant '{Name}' ({lsmDirectory}) is missing");
        try
        {
            LsmStore.RestoreCheckpoint(lsmDirectory, scratch);
            using var store = LsmStore.Open(StoreOptions(scratch));
            return IncrementalState.ToFullSnapshot(metadata, store, IncrementalKeys.Prefix(Name), metadataPath);
        }
        finally
        {
            if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>
    /// Loads the operator's state from a savepoint (instead of a checkpoint): the same fingerprint
    /// restores as is; another one is migrated field by field when both the savepoint and this build
    /// carry a state layout and the change is compatible (<see cref="StateMigration.Plan"/>).
    /// </summary>
    /// <returns>The migration applied, or null when the layouts were the same.</returns>
    /// <exception cref="InvalidDataException">The savepoint holds no state for this participant, the
    /// change is incompatible (the message names the aggregation and the field), or the state is damaged.</exception>
    public async ValueTask<StateMigration?> RestoreFromSavepointAsync(Savepoint savepoint, string directory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(savepoint);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        var op = Operator;
        var saved = savepoint.Operators.FirstOrDefault(o => string.Equals(o.Participant, Name, StringComparison.Ordinal))
            ?? throw new InvalidDataException($"savepoint {directory} holds no state for participant '{Name}' (it has {string.Join(", ", savepoint.Operators.Select(o => "'" + o.Participant + "'"))})");
        if (!string.Equals(saved.Aggregation, op.AggregationName, StringComparison.Ordinal))
            throw new InvalidDataException($"savepoint {directory}: participant '{Name}' holds aggregation '{saved.Aggregation}', this build runs '{op.AggregationName}'");
        StateMigration? migration = null;
        if (saved.Fingerprint != op.StateFingerprint)
        {
            var current = (op as IMigratableSnapshotOperator)?.Layout;
            if (saved.Layout is null || current is null)
                throw new InvalidDataException(
                    $"savepoint {directory}: aggregation '{op.AggregationName}' was saved with state fingerprint 0x{saved.Fingerprint:X16}, this build has 0x{op.StateFingerprint:X16}, and {(saved.Layout is null ? "the savepoint" : "this build")} carries no state layout to migrate by");
            migration = StateMigration.Plan(saved.Layout, current);
        }
        var path = Savepoint.StatePath(directory, Name);
        if (!File.Exists(path)) throw new InvalidDataException($"savepoint {directory}: the state file of participant '{Name}' ({path}) is missing");
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            if (migration is null) op.RestoreSnapshot(bytes);
            else ((IMigratableSnapshotOperator)op).RestoreSnapshot(bytes, migration);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return migration;
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(long checkpointId, CancellationToken cancellationToken)
    {
        _rendezvous.Forget(checkpointId);
        // The aborted capture's changes may never reach the store: start the next one from scratch.
        lock (_storeLock)
        {
            if (_lastWrittenId != checkpointId) Volatile.Write(ref _forceFull, 1);
        }
        return ValueTask.CompletedTask;
    }

    private readonly record struct Capture(ArrayBufferWriter<byte>? Bytes, long Keys, TimeSpan Pause, IncrementalCapture? Changes);
}

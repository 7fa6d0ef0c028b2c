using System.Buffers;
using System.Diagnostics;
using Kernel.Operators;

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
/// Every snapshot is full (the whole state), which suits operators whose state is bounded by their
/// windows; incremental snapshots into the LSM store are a later step.
/// </remarks>
public sealed class OperatorParticipant : ICheckpointParticipant, IControlListener
{
    private const string StateSuffix = ".state";
    private readonly BarrierRendezvous<Capture> _rendezvous = new();
    private readonly List<Action<long>> _sealers = [];
    private ISnapshotOperator? _operator;

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

    /// <inheritdoc />
    public void OnBarrier(long checkpointId, long sequence)
    {
        var start = Stopwatch.GetTimestamp();
        var op = Operator;
        var bytes = new ArrayBufferWriter<byte>(4096);
        op.WriteSnapshot(bytes);
        foreach (var seal in _sealers) seal(checkpointId);
        var keys = op.StateEntries;
        _rendezvous.Arrive(checkpointId, new Capture(bytes, keys, Stopwatch.GetElapsedTime(start)));
        // The operator's thread is inside the checkpoint: state captured, epochs sealed, nothing written.
        CrashPoints.Hit("at-barrier");
    }

    /// <inheritdoc />
    public void OnEndOfInput(int sourceId, long sequence)
    {
    }

    /// <inheritdoc />
    public async ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var capture = await _rendezvous.WaitAsync(context.CheckpointId, cancellationToken).ConfigureAwait(false);
        var path = context.GetStatePath(Name + StateSuffix);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous))
        {
            await file.WriteAsync(capture.Bytes.WrittenMemory, cancellationToken).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
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
        if (context.Manifest.SchemaFingerprints.TryGetValue(op.AggregationName, out var recorded) && recorded != op.StateFingerprint)
            throw new InvalidDataException(
                $"checkpoint {context.Manifest.CheckpointId}: aggregation '{op.AggregationName}' was checkpointed with state fingerprint 0x{recorded:X16}, this build has 0x{op.StateFingerprint:X16}; its state schema changed and the checkpoint cannot be restored");
        if (!File.Exists(path))
            throw new InvalidDataException($"checkpoint {context.Manifest.CheckpointId}: the state file of participant '{Name}' ({path}) is missing");
        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            op.RestoreSnapshot(bytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
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
        return ValueTask.CompletedTask;
    }

    private sealed record Capture(ArrayBufferWriter<byte> Bytes, long Keys, TimeSpan Pause);
}

using Kernel.Sinks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Checkpoints;

/// <summary>
/// Runs the checkpoint protocol, independent of how barriers travel. The runtime injects a barrier
/// for checkpoint N at ring sequence S and tells the coordinator (<see cref="OnBarrierInjectedAsync"/>);
/// the coordinator then
/// <list type="number">
/// <item>creates <c>checkpoints/N/</c> and asks every participant to snapshot into it; each
/// completes (acknowledges) once the barrier reached it and its state is written;</item>
/// <item>asks every sink to pre-commit epoch N;</item>
/// <item>writes the manifest, atomically: from here on the checkpoint exists;</item>
/// <item>tells every sink to commit epoch N, then prunes old checkpoints.</item>
/// </list>
/// A failure or timeout in steps 1–3 aborts: participants and sinks are told, the directory is deleted.
/// One checkpoint runs at a time.
/// </summary>
public sealed class CheckpointCoordinator
{
    private readonly CheckpointStore _store;
    private readonly CheckpointCoordinatorOptions _options;
    private readonly ILogger _logger;
    private readonly CheckpointMetrics _metrics;
    private readonly Lock _registrationLock = new();
    private ICheckpointParticipant[] _participants = [];
    private ICheckpointSink[] _sinks = [];

    // 1 while a checkpoint runs; CompareExchange admits one at a time.
    private int _inFlight;

    // The id ReserveCheckpointId hands out next; Interlocked.
    private long _nextId;

    // Written by the checkpoint in flight only (one at a time); Volatile so readers on other threads see it.
    private long _lastCompletedId;
    private CheckpointStats? _lastCompletedStats;

    /// <summary>Creates a coordinator over <paramref name="store"/>.</summary>
    public CheckpointCoordinator(CheckpointStore store, CheckpointCoordinatorOptions? options = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new CheckpointCoordinatorOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.KeepLast, 1, "options.KeepLast");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.Timeout, TimeSpan.Zero, "options.Timeout");
        _logger = logger ?? NullLogger.Instance;
        _metrics = new CheckpointMetrics(_options.Meter);
        _nextId = store.NextCheckpointId();
    }

    /// <summary>The id of the newest checkpoint completed (or restored) by this coordinator; 0 for none.</summary>
    public long LastCompletedCheckpointId => Volatile.Read(ref _lastCompletedId);

    /// <summary>The stats of the newest checkpoint completed by this coordinator, or null.</summary>
    public CheckpointStats? LastCompletedStats
    {
        get
        {
            lock (_registrationLock) return _lastCompletedStats;
        }
    }

    /// <summary>Adds a participant; every later checkpoint and recovery includes it.</summary>
    public void Register(ICheckpointParticipant participant)
    {
        ArgumentNullException.ThrowIfNull(participant);
        lock (_registrationLock)
        {
            if (_participants.Any(p => string.Equals(p.Name, participant.Name, StringComparison.Ordinal)))
                throw new ArgumentException($"a participant named '{participant.Name}' is already registered", nameof(participant));
            _participants = [.. _participants, participant];
        }
    }

    /// <summary>Adds a sink; every later checkpoint pre-commits and commits it.</summary>
    public void RegisterSink(ICheckpointSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        lock (_registrationLock)
        {
            if (_sinks.Any(s => string.Equals(s.Name, sink.Name, StringComparison.Ordinal)))
                throw new ArgumentException($"a sink named '{sink.Name}' is already registered", nameof(sink));
            _sinks = [.. _sinks, sink];
        }
    }

    /// <summary>
    /// Hands out the id for the next barrier: larger than every id on disk. Call it just before
    /// injecting that barrier: participants that fill a buffer on a pipeline thread at the barrier
    /// get it ready here, on the caller's thread (see <see cref="IBarrierPreparation"/>).
    /// </summary>
    public long ReserveCheckpointId()
    {
        var id = Interlocked.Increment(ref _nextId) - 1;
        foreach (var participant in Volatile.Read(ref _participants))
            if (participant is IBarrierPreparation preparation) preparation.PrepareForBarrier(id);
        return id;
    }

    /// <summary>
    /// On start: finds the newest complete checkpoint (falling back past incomplete or corrupt ones,
    /// with messages), has every participant restore from it, and has every sink commit or discard
    /// the staged epochs it finds. Returns what was found; a null manifest means start from scratch.
    /// </summary>
    public async Task<CheckpointLoadResult> RecoverAsync(CancellationToken cancellationToken)
    {
        var load = _store.LoadNewestComplete();
        ICheckpointParticipant[] participants;
        ICheckpointSink[] sinks;
        lock (_registrationLock) (participants, sinks) = (_participants, _sinks);
        if (load.Manifest is { } manifest)
        {
            using var lease = _store.AcquireRestoreLease(manifest.CheckpointId);
            var context = new CheckpointRestoreContext(manifest, _store.GetCheckpointDirectory(manifest.CheckpointId));
            foreach (var participant in participants)
                await participant.RestoreAsync(context, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _lastCompletedId, manifest.CheckpointId);
        }
        foreach (var sink in sinks)
            await sink.RecoverAsync(_store.IsComplete, cancellationToken).ConfigureAwait(false);
        Interlocked.Exchange(ref _nextId, Math.Max(Interlocked.Read(ref _nextId), _store.NextCheckpointId()));
        return load;
    }

    /// <summary>
    /// Runs checkpoint <paramref name="checkpointId"/>, whose barrier was injected at ring sequence
    /// <paramref name="sequence"/>, to completion or abort.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another checkpoint is in flight.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the checkpoint is aborted first).</exception>
    public async Task<CheckpointResult> OnBarrierInjectedAsync(long checkpointId, long sequence, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _inFlight, 1, 0) != 0)
            throw new InvalidOperationException($"checkpoint {checkpointId}: another checkpoint is in flight; the coordinator runs one at a time");
        try
        {
            if (checkpointId <= LastCompletedCheckpointId)
                throw new ArgumentOutOfRangeException(nameof(checkpointId), checkpointId,
                    $"must be greater than the last completed checkpoint {LastCompletedCheckpointId}");
            return await RunAsync(checkpointId, sequence, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inFlight, 0);
        }
    }

    private async Task<CheckpointResult> RunAsync(long id, long sequence, CancellationToken cancellationToken)
    {
        var time = _options.TimeProvider;
        var start = time.GetTimestamp();
        ICheckpointParticipant[] participants;
        ICheckpointSink[] sinks;
        lock (_registrationLock) (participants, sinks) = (_participants, _sinks);

        var directory = _store.CreateCheckpointDirectory(id);
        var context = new CheckpointContext(id, sequence, directory);
        using var timeout = new CancellationTokenSource(_options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var token = linked.Token;
        try
        {
            var snapshots = participants.Select(p => SnapshotAsync(p, context, token)).ToArray();
            await WhenAllOrTimeout(snapshots, participants.Select(p => p.Name), "acknowledge its snapshot", id, token).ConfigureAwait(false);
            CrashPoints.Hit("after-snapshot");

            var preCommits = sinks.Select(s => PreCommitAsync(s, id, token)).ToArray();
            await WhenAllOrTimeout(preCommits, sinks.Select(s => s.Name), "pre-commit", id, token).ConfigureAwait(false);
            CrashPoints.Hit("after-precommit");
        }
        catch (Exception e)
        {
            // Stop the participants still working on it before their directory goes away.
            await linked.CancelAsync().ConfigureAwait(false);
            await AbortAsync(id, participants, sinks, e, time.GetElapsedTime(start)).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new CheckpointResult(id, CheckpointOutcome.Aborted, new CheckpointStats(time.GetElapsedTime(start), default, 0, 0), null, e);
        }

        var sinkEpochs = sinks.ToDictionary(s => s.Name, _ => id, StringComparer.Ordinal);
        var stateBytes = Directory.EnumerateFiles(directory).Sum(f => new FileInfo(f).Length);
        var manifest = context.ToManifest(sinkEpochs, time.GetUtcNow(), time.GetElapsedTime(start), stateBytes);
        int manifestBytes;
        try
        {
            manifestBytes = _store.WriteManifest(manifest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Whether the rename happened is unknown: remove the manifest so the abort is real.
            TryDeleteManifest(directory);
            await AbortAsync(id, participants, sinks, e, time.GetElapsedTime(start)).ConfigureAwait(false);
            return new CheckpointResult(id, CheckpointOutcome.Aborted, manifest.Stats, null, e);
        }
        var stats = manifest.Stats with { Duration = time.GetElapsedTime(start), BytesWritten = manifest.Stats.BytesWritten + manifestBytes };
        Volatile.Write(ref _lastCompletedId, id);
        lock (_registrationLock) _lastCompletedStats = stats;
        _metrics.Completed(stats);

        Exception? commitFailure = null;
        foreach (var sink in sinks)
        {
            try
            {
                await sink.CommitAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                commitFailure ??= e;
                _logger.LogError(e, "checkpoint {Id} is complete but sink '{Sink}' failed to commit it; the next checkpoint and recovery retry", id, sink.Name);
            }
        }
        if (commitFailure is null) TryPrune();
        _logger.LogDebug("checkpoint {Id} at sequence {Sequence} complete in {Duration} ms, {Bytes} bytes, {Keys} keys",
            id, sequence, stats.Duration.TotalMilliseconds, stats.BytesWritten, stats.KeysWritten);
        return new CheckpointResult(id, CheckpointOutcome.Completed, stats, manifest, commitFailure);
    }

    private static async Task SnapshotAsync(ICheckpointParticipant participant, CheckpointContext context, CancellationToken token)
    {
        try
        {
            await participant.SnapshotAsync(context, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"checkpoint {context.CheckpointId}: participant '{participant.Name}' failed to snapshot: {e.Message}", e);
        }
    }

    private static async Task PreCommitAsync(ICheckpointSink sink, long epoch, CancellationToken token)
    {
        try
        {
            await sink.PreCommitAsync(epoch, token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidOperationException($"checkpoint {epoch}: sink '{sink.Name}' failed to pre-commit: {e.Message}", e);
        }
    }

    /// <summary>
    /// Waits for every task, failing as soon as one fails; a participant that ignores cancellation
    /// cannot hold the coordinator past the timeout.
    /// </summary>
    private async Task WhenAllOrTimeout(Task[] tasks, IEnumerable<string> names, string what, long id, CancellationToken token)
    {
        var pending = new List<Task>(tasks);
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending).WaitAsync(token).ConfigureAwait(false);
                await done.ConfigureAwait(false);
                pending.Remove(done);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // A failure that arrived with the cancellation is the better reason.
            var failed = tasks.FirstOrDefault(t => t.IsFaulted);
            if (failed is not null) await failed.ConfigureAwait(false);
            var late = string.Join(", ", names.Where((_, i) => !tasks[i].IsCompletedSuccessfully).Select(n => "'" + n + "'"));
            throw new TimeoutException($"checkpoint {id}: {late} did not {what} within {_options.Timeout.TotalMilliseconds} ms");
        }
    }

    private async Task AbortAsync(long id, ICheckpointParticipant[] participants, ICheckpointSink[] sinks, Exception reason, TimeSpan elapsed)
    {
        _logger.LogWarning(reason, "checkpoint {Id} aborted after {Elapsed} ms: {Reason}", id, elapsed.TotalMilliseconds, reason.Message);
        foreach (var participant in participants)
        {
            try
            {
                await participant.AbortAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "participant '{Participant}' failed to abort checkpoint {Id}", participant.Name, id);
            }
        }
        foreach (var sink in sinks)
        {
            try
            {
                await sink.AbortAsync(id, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _logger.LogError(e, "sink '{Sink}' failed to abort epoch {Id}", sink.Name, id);
            }
        }
        try
        {
            _store.DeleteIncomplete(id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A straggling participant may still hold a file; pruning removes the directory later.
            _logger.LogWarning(e, "could not delete the directory of aborted checkpoint {Id}; pruning will", id);
        }
        _metrics.Aborted();
    }

    private void TryDeleteManifest(string directory)
    {
        try
        {
            File.Delete(Path.Combine(directory, CheckpointStore.ManifestFileName));
            DirectorySync.Flush(directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogError(e, "could not remove the manifest in {Directory} after its write failed", directory);
        }
    }

    private void TryPrune()
    {
        try
        {
            _store.Prune(_options.KeepLast);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogWarning(e, "pruning old checkpoints failed; it is retried after the next checkpoint");
        }
    }
}

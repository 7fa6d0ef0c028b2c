using System.Diagnostics.Metrics;
using Kernel.Checkpoints;

namespace Kernel.Tests.Checkpoints;

public sealed class CheckpointCoordinatorTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("coordinator");
    private readonly List<string> _log = [];

    public void Dispose() => _dir.Dispose();

    private static Func<CheckpointContext, CancellationToken, ValueTask> Writes(string file, int bytes, long keys, TimeSpan pause) =>
        async (context, token) =>
        {
            await File.WriteAllBytesAsync(context.GetStatePath(file), new byte[bytes], token);
            context.ReportKeysWritten(keys);
            context.ReportPause(pause);
        };

    private (CheckpointStore Store, CheckpointCoordinator Coordinator) Create(TimeSpan? timeout = null, int keepLast = 3, Meter? meter = null)
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions
        {
            Timeout = timeout ?? TimeSpan.FromSeconds(30),
            KeepLast = keepLast,
            Meter = meter,
        });
        return (store, coordinator);
    }

    [Fact]
    public async Task Checkpoint_AllAcknowledge_WritesManifestThenCommitsSinks()
    {
        var (store, coordinator) = Create();
        coordinator.Register(new FakeParticipant("operator", async (c, t) =>
        {
            await Writes("operator.state", 100, 10, TimeSpan.FromMilliseconds(2))(c, t);
            c.SetSchemaFingerprint("RevenuePerDay", 0xABCDEF);
            c.SetLsmCheckpoint("lsm-1");
        }, _log));
        coordinator.Register(new FakeParticipant("journal", async (c, t) =>
        {
            await Writes("journal.state", 28, 5, TimeSpan.FromMilliseconds(7))(c, t);
            c.SetJournalOffset(4096);
            c.SetSourcePosition(0, 1234);
            c.ReportBytesWritten(1000);
        }, _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        var id = coordinator.ReserveCheckpointId();
        var result = await coordinator.OnBarrierInjectedAsync(id, 5000, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        Assert.Null(result.Failure);
        var manifest = store.ReadManifest(id);
        Assert.Equal(5000, manifest.RingSequence);
        Assert.Equal(4096, manifest.JournalOffset);
        Assert.Equal("lsm-1", manifest.LsmCheckpoint);
        Assert.Equal(1234, manifest.SourcePositions[0]);
        Assert.Equal(0xABCDEFUL, manifest.SchemaFingerprints["RevenuePerDay"]);
        Assert.Equal(id, manifest.SinkEpochs["out"]);

        var manifestBytes = new FileInfo(Path.Combine(store.GetCheckpointDirectory(id), CheckpointStore.ManifestFileName)).Length;
        Assert.Equal(100 + 28 + 1000 + manifestBytes, result.Stats.BytesWritten);
        Assert.Equal(100 + 28 + 1000, manifest.Stats.BytesWritten);
        Assert.Equal(15, result.Stats.KeysWritten);
        Assert.Equal(TimeSpan.FromMilliseconds(7), result.Stats.Pause);
        Assert.True(result.Stats.Duration > TimeSpan.Zero);
        Assert.Equal(result.Stats, coordinator.LastCompletedStats);
        Assert.Equal(id, coordinator.LastCompletedCheckpointId);

        // Both snapshots before the pre-commit; no manifest at pre-commit; the manifest exists at commit.
        Assert.Equal(
            ["snapshot:journal:1", "snapshot:operator:1", "precommit:out:1:no-manifest", "commit:out:1:manifest"],
            [.. _log[..2].Order(StringComparer.Ordinal), .. _log[2..]]);
    }

    [Fact]
    public async Task Checkpoint_ParticipantFails_AbortsAndSinksSeeAbort()
    {
        var (store, coordinator) = Create();
        coordinator.Register(new FakeParticipant("good", Writes("good.state", 10, 1, default), _log));
        coordinator.Register(new FakeParticipant("bad", (_, _) => throw new IOException("no space left"), _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        var result = await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), 10, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Aborted, result.Outcome);
        Assert.Contains("participant 'bad'", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("no space left", result.Failure.Message, StringComparison.Ordinal);
        // The abort does not wait for "good" (a straggler must not hold it up), which may still log its snapshot: read a copy.
        string[] log;
        lock (_log) log = [.. _log];
        Assert.Contains("abort:out:1:no-manifest", log);
        Assert.Contains("abort:bad:1", log);
        Assert.DoesNotContain(log, l => l.StartsWith("precommit", StringComparison.Ordinal) || l.StartsWith("commit", StringComparison.Ordinal));
        Assert.False(Directory.Exists(store.GetCheckpointDirectory(1)));
        Assert.Equal(0, coordinator.LastCompletedCheckpointId);
        Assert.Null(store.LoadNewestComplete().Manifest);
    }

    [Fact]
    public async Task Checkpoint_OneFailsWhileAnotherHangs_AbortsWithoutWaitingForTheTimeout()
    {
        var (store, coordinator) = Create(timeout: TimeSpan.FromMinutes(5));
        var never = new TaskCompletionSource();
        var stuckToken = CancellationToken.None;
        coordinator.Register(new FakeParticipant("stuck", async (_, token) =>
        {
            stuckToken = token;
            await never.Task.WaitAsync(token);
        }, _log));
        coordinator.Register(new FakeParticipant("bad", (_, _) => throw new IOException("broken"), _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        var result = await coordinator.OnBarrierInjectedAsync(1, 10, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Aborted, result.Outcome);
        Assert.Contains("participant 'bad'", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("abort:out:1:no-manifest", _log);
        Assert.True(stuckToken.IsCancellationRequested, "the straggler should have been told to stop");
    }

    [Fact]
    public async Task Checkpoint_ParticipantNeverAcknowledges_TimesOutAndAborts()
    {
        var (store, coordinator) = Create(timeout: TimeSpan.FromMilliseconds(200));
        var never = new TaskCompletionSource();
        // "quick" acknowledges synchronously, so it is done whatever the machine's load.
        coordinator.Register(new FakeParticipant("quick", (_, _) => ValueTask.CompletedTask, _log));
        coordinator.Register(new FakeParticipant("stuck", async (_, _) => await never.Task, _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        var result = await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), 10, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Aborted, result.Outcome);
        var timeout = Assert.IsType<TimeoutException>(result.Failure);
        Assert.Contains("'stuck'", timeout.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("'quick'", timeout.Message, StringComparison.Ordinal);
        Assert.Contains("abort:out:1:no-manifest", _log);
        Assert.False(store.IsComplete(1));
        never.SetResult();
    }

    [Fact]
    public async Task Checkpoint_SinkPreCommitFails_AbortsEverySink()
    {
        var (store, coordinator) = Create();
        coordinator.Register(new FakeParticipant("op", Writes("s", 1, 1, default), _log));
        coordinator.RegisterSink(new RecordingSink("a", store, _log));
        coordinator.RegisterSink(new RecordingSink("b", store, _log, failPreCommit: true));

        var result = await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), 10, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Aborted, result.Outcome);
        Assert.Contains("sink 'b' failed to pre-commit", result.Failure!.Message, StringComparison.Ordinal);
        Assert.Contains("abort:a:1:no-manifest", _log);
        Assert.Contains("abort:b:1:no-manifest", _log);
        Assert.False(store.IsComplete(1));
    }

    [Fact]
    public async Task Checkpoint_CallerCancels_AbortsThenThrows()
    {
        var (store, coordinator) = Create();
        using var cts = new CancellationTokenSource();
        coordinator.Register(new FakeParticipant("op", async (_, token) =>
        {
            await cts.CancelAsync();
            token.ThrowIfCancellationRequested();
        }, _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => coordinator.OnBarrierInjectedAsync(1, 10, cts.Token).WaitAsync(s_guard));
        Assert.Contains("abort:out:1:no-manifest", _log);
        Assert.False(Directory.Exists(store.GetCheckpointDirectory(1)));
    }

    [Fact]
    public async Task Checkpoint_WhileAnotherIsInFlight_Throws()
    {
        var (_, coordinator) = Create();
        var release = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        coordinator.Register(new FakeParticipant("op", async (_, _) =>
        {
            entered.SetResult();
            await release.Task;
        }, _log));
        var first = coordinator.OnBarrierInjectedAsync(1, 10, CancellationToken.None);
        await entered.Task.WaitAsync(s_guard);
        await Assert.ThrowsAsync<InvalidOperationException>(() => coordinator.OnBarrierInjectedAsync(2, 20, CancellationToken.None));
        release.SetResult();
        Assert.Equal(CheckpointOutcome.Completed, (await first.WaitAsync(s_guard)).Outcome);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => coordinator.OnBarrierInjectedAsync(1, 30, CancellationToken.None));
    }

    [Fact]
    public async Task Checkpoints_KeepLast_PrunesOlderOnes()
    {
        var (store, coordinator) = Create(keepLast: 2);
        coordinator.Register(new FakeParticipant("op", Writes("s", 1, 1, default), _log));
        for (var i = 0; i < 5; i++)
            Assert.Equal(CheckpointOutcome.Completed, (await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), i * 10, CancellationToken.None).WaitAsync(s_guard)).Outcome);
        Assert.Equal([4L, 5], store.ListCheckpointIds());
    }

    [Fact]
    public async Task Recover_RestoresParticipantsFromNewest_AndGivesSinksTheManifestTest()
    {
        var (store, coordinator) = Create();
        coordinator.Register(new FakeParticipant("op", Writes("op.state", 3, 1, default), _log));
        await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), 10, CancellationToken.None).WaitAsync(s_guard);
        await coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), 20, CancellationToken.None).WaitAsync(s_guard);
        store.CreateCheckpointDirectory(3); // a crash mid-checkpoint

        var restarted = new CheckpointCoordinator(new CheckpointStore(_dir.Path));
        var participant = new FakeParticipant("op", Writes("op.state", 3, 1, default), _log);
        var sink = new RecordingSink("out", store, _log);
        restarted.Register(participant);
        restarted.RegisterSink(sink);
        var load = await restarted.RecoverAsync(CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(2, load.Manifest!.CheckpointId);
        Assert.True(load.FellBack);
        Assert.Equal(20, participant.Restored!.Manifest.RingSequence);
        Assert.True(File.Exists(participant.Restored.GetStatePath("op.state")));
        Assert.True(sink.RecoveredWith!(2));
        Assert.False(sink.RecoveredWith(3));
        Assert.Equal(2, restarted.LastCompletedCheckpointId);
        Assert.Equal(4, restarted.ReserveCheckpointId());
    }

    [Fact]
    public async Task Metrics_CompletedAndAborted_AreRecordedOnTheMeter()
    {
        using var meter = new Meter("Kernel");
        var (_, coordinator) = Create(meter: meter);
        var fail = false;
        coordinator.Register(new FakeParticipant("op", async (c, t) =>
        {
            if (fail) throw new IOException("boom");
            await Writes("s", 50, 3, TimeSpan.FromMilliseconds(4))(c, t);
        }, _log));
        var seen = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => { lock (seen) seen[i.Name] = seen.GetValueOrDefault(i.Name) + v; });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => { lock (seen) seen[i.Name] = seen.GetValueOrDefault(i.Name) + v; });
        listener.Start();

        var ok = await coordinator.OnBarrierInjectedAsync(1, 10, CancellationToken.None).WaitAsync(s_guard);
        fail = true;
        await coordinator.OnBarrierInjectedAsync(2, 20, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(1, seen["kernel.checkpoint.completed"]);
        Assert.Equal(1, seen["kernel.checkpoint.aborted"]);
        Assert.Equal(ok.Stats.BytesWritten, seen["kernel.checkpoint.bytes"]);
        Assert.Equal(3, seen["kernel.checkpoint.keys"]);
        Assert.Equal(4, seen["kernel.checkpoint.pause"]);
        Assert.Equal(ok.Stats.Duration.TotalMilliseconds, seen["kernel.checkpoint.duration"]);
    }

    [Fact]
    public void Register_DuplicateNames_Throw()
    {
        var (store, coordinator) = Create();
        coordinator.Register(new FakeParticipant("op", Writes("s", 1, 1, default), _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));
        Assert.Throws<ArgumentException>(() => coordinator.Register(new FakeParticipant("op", Writes("s", 1, 1, default), _log)));
        Assert.Throws<ArgumentException>(() => coordinator.RegisterSink(new RecordingSink("out", store, _log)));
    }

    [Fact]
    public void StatePath_RejectsPathsAndTheManifestName()
    {
        var context = new CheckpointRestoreContext(CheckpointManifestFormatTests.Sample(1), _dir.Path);
        Assert.Throws<ArgumentException>(() => context.GetStatePath("../x"));
        Assert.Throws<ArgumentException>(() => context.GetStatePath("a/b"));
        Assert.Throws<ArgumentException>(() => context.GetStatePath("manifest"));
        Assert.Equal(Path.Combine(_dir.Path, "op.state"), context.GetStatePath("op.state"));
    }
}

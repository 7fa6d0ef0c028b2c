using Kernel.Checkpoints;
using Kernel.Sinks;
using Microsoft.Extensions.Logging;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// docs/checkpoints.md's claims that no other test pinned down (session 24's audit): pruning waits until every sink
/// committed, a manifest that cannot be written aborts the checkpoint, and the scheduler never takes two at once.
/// </summary>
public sealed class CheckpointContractS24Tests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("contract-s24");
    private readonly List<string> _log = [];

    public void Dispose() => _dir.Dispose();

    private static ValueTask WriteState(CheckpointContext context, CancellationToken token) =>
        new(File.WriteAllBytesAsync(context.GetStatePath("op.state"), new byte[8], token));

    private static Task<CheckpointResult> Checkpoint(CheckpointCoordinator coordinator, long sequence) =>
        coordinator.OnBarrierInjectedAsync(coordinator.ReserveCheckpointId(), sequence, CancellationToken.None).WaitAsync(s_guard);

    [Fact]
    public async Task ASinkFailingToCommit_KeepsOlderCheckpoints_UntilACommitSucceeds()
    {
        // A checkpoint whose commit failed is still the one recovery commits from: pruning it (and the ones before it)
        // before a commit succeeds would leave its staged epoch without a manifest, and recovery would discard it.
        var store = new CheckpointStore(_dir.Path);
        var logger = new CapturingLogger();
        var coordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 1 }, logger);
        coordinator.Register(new FakeParticipant("op", WriteState, _log));
        var sink = new CommitFailingSink("out") { FailCommits = true };
        coordinator.RegisterSink(sink);

        var first = await Checkpoint(coordinator, 10);
        var second = await Checkpoint(coordinator, 20);

        Assert.All([first, second], r =>
        {
            Assert.Equal(CheckpointOutcome.Completed, r.Outcome);
            Assert.IsType<IOException>(r.Failure);
        });
        Assert.Equal([1L, 2], store.ListCheckpointIds());
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("failed to commit", StringComparison.Ordinal));

        sink.FailCommits = false;
        var third = await Checkpoint(coordinator, 30);

        Assert.Equal(CheckpointOutcome.Completed, third.Outcome);
        Assert.Null(third.Failure);
        Assert.Equal([1L, 2, 3], sink.CommitCalls);
        Assert.Equal([3L], store.ListCheckpointIds());
    }

    [Fact]
    public async Task AManifestThatCannotBeWritten_AbortsTheCheckpoint_AndTheNextOneCompletes()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var blockManifest = true;
        coordinator.Register(new FakeParticipant("op", async (c, t) =>
        {
            await WriteState(c, t);
            // A directory where the manifest's temporary file goes: writing the manifest fails.
            if (blockManifest) Directory.CreateDirectory(Path.Combine(c.Directory, CheckpointStore.ManifestFileName + ".tmp"));
        }, _log));
        coordinator.RegisterSink(new RecordingSink("out", store, _log));

        var failed = await Checkpoint(coordinator, 10);

        Assert.Equal(CheckpointOutcome.Aborted, failed.Outcome);
        Assert.True(failed.Failure is IOException or UnauthorizedAccessException, $"failure: {failed.Failure}");
        Assert.False(store.IsComplete(1));
        Assert.False(Directory.Exists(store.GetCheckpointDirectory(1)));
        Assert.Equal(0, coordinator.LastCompletedCheckpointId);
        lock (_log)
        {
            Assert.Contains("abort:out:1:no-manifest", _log);
            Assert.DoesNotContain(_log, l => l.StartsWith("commit:", StringComparison.Ordinal));
        }

        blockManifest = false;
        var next = await Checkpoint(coordinator, 20);

        Assert.Equal(CheckpointOutcome.Completed, next.Outcome);
        Assert.Equal(2, coordinator.LastCompletedCheckpointId);
        Assert.True(store.IsComplete(2));
    }

    [Fact]
    public async Task Scheduler_ASecondTriggerWhileOneRuns_WaitsForIt_InsteadOfFailing()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        coordinator.Register(new FakeParticipant("op", async (c, t) =>
        {
            await WriteState(c, t);
            if (c.CheckpointId == 1)
            {
                entered.TrySetResult();
                await release.Task.WaitAsync(t);
            }
        }, _log));
        var injector = new CountingInjector();
        await using var scheduler = new CheckpointScheduler(coordinator, injector, TimeSpan.FromHours(1));

        var first = scheduler.TriggerAsync(CancellationToken.None);
        await entered.Task.WaitAsync(s_guard);
        var second = scheduler.TriggerAsync(CancellationToken.None);

        // Without the gate the second trigger would have injected its barrier and faulted (one checkpoint at a time)
        // before TriggerAsync returned: the injector and the coordinator answer synchronously here.
        Assert.False(second.IsCompleted);
        Assert.Equal([1L], injector.Snapshot());
        release.SetResult();
        var results = await Task.WhenAll(first, second).WaitAsync(s_guard);

        Assert.Equal([1L, 2], results.Select(r => r.CheckpointId));
        Assert.All(results, r => Assert.Equal(CheckpointOutcome.Completed, r.Outcome));
        Assert.Equal([1L, 2], injector.Snapshot());
    }

    /// <summary>Puts barrier N at sequence N × 100 and records the ids.</summary>
    private sealed class CountingInjector : IBarrierInjector
    {
        private readonly List<long> _injected = [];

        public long InjectBarrier(long checkpointId)
        {
            lock (_injected) _injected.Add(checkpointId);
            return checkpointId * 100;
        }

        public long[] Snapshot()
        {
            lock (_injected) return [.. _injected];
        }
    }

    /// <summary>A sink whose commits throw while <see cref="FailCommits"/> is set; records every commit call.</summary>
    private sealed class CommitFailingSink(string name) : ICheckpointSink
    {
        private readonly List<long> _commits = [];

        public string Name { get; } = name;

        public bool FailCommits { get; set; }

        public long[] CommitCalls
        {
            get
            {
                lock (_commits) return [.. _commits];
            }
        }

        public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
        {
            lock (_commits) _commits.Add(epoch);
            return FailCommits ? ValueTask.FromException(new IOException($"epoch {epoch}: disk full")) : ValueTask.CompletedTask;
        }

        public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

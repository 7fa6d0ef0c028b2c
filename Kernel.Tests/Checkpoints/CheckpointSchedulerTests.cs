using Kernel.Checkpoints;

namespace Kernel.Tests.Checkpoints;

public sealed class CheckpointSchedulerTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new("scheduler");
    private readonly List<string> _log = [];

    public void Dispose() => _dir.Dispose();

    /// <summary>Puts barrier N at sequence N * 100 and signals once it has injected <c>target</c> barriers.</summary>
    private sealed class FakeInjector(int target) : IBarrierInjector
    {
        private int _count;

        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<long> Injected { get; } = [];

        public long InjectBarrier(long checkpointId)
        {
            lock (Injected) Injected.Add(checkpointId);
            if (Interlocked.Increment(ref _count) == target) Reached.TrySetResult();
            return checkpointId * 100;
        }
    }

    [Fact]
    public async Task Trigger_InjectsABarrier_AndRunsTheCheckpointAtItsSequence()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var injector = new FakeInjector(1);
        await using var scheduler = new CheckpointScheduler(coordinator, injector, TimeSpan.FromHours(1));

        var first = await scheduler.TriggerAsync(CancellationToken.None).WaitAsync(s_guard);
        var second = await scheduler.TriggerAsync(CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal([1L, 2], injector.Injected);
        Assert.Equal(100, store.ReadManifest(1).RingSequence);
        Assert.Equal(200, second.Manifest!.RingSequence);
        Assert.Same(second, scheduler.LastResult);
        Assert.Equal(CheckpointOutcome.Completed, first.Outcome);
    }

    /// <summary>An injector whose barrier goes in only when the test says (a stream with no room for it meanwhile).</summary>
    private sealed class HeldInjector : IBarrierInjector
    {
        public TaskCompletionSource<long> Room { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long InjectBarrier(long checkpointId) => throw new InvalidOperationException("the scheduler should inject asynchronously");

        public ValueTask<long> InjectBarrierAsync(long checkpointId) => new(Room.Task);
    }

    [Fact]
    public async Task Trigger_WhileTheBarrierWaitsForRoom_DoesNotBlockItsCaller_ThenRunsAtTheBarriersSequence()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var injector = new HeldInjector();
        await using var scheduler = new CheckpointScheduler(coordinator, injector, TimeSpan.FromHours(1));

        try
        {
            Task<CheckpointResult>? triggered = null;
            var caller = new Thread(() => triggered = scheduler.TriggerAsync(CancellationToken.None)) { IsBackground = true };
            caller.Start();
            Assert.True(caller.Join(s_guard), "TriggerAsync blocked its caller while the barrier waited for room");
            Assert.False(triggered!.IsCompleted, "no barrier is in yet: the checkpoint cannot have run");

            injector.Room.SetResult(4_321);
            var result = await triggered.WaitAsync(s_guard);
            Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
            Assert.Equal(4_321, result.Manifest!.RingSequence);
        }
        finally
        {
            injector.Room.TrySetResult(0);   // a failed assertion must not leave the scheduler's disposal waiting on the trigger
        }
    }

    [Fact]
    public async Task Start_TakesCheckpointsOnTheInterval()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var injector = new FakeInjector(3);
        await using (var scheduler = new CheckpointScheduler(coordinator, injector, TimeSpan.FromMilliseconds(20)))
        {
            scheduler.Start();
            await injector.Reached.Task.WaitAsync(s_guard);
        }
        Assert.True(store.LoadNewestComplete().Manifest!.CheckpointId >= 3);
    }

    [Fact]
    public async Task Trigger_Aborted_CallsTheRewindHook()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(new FakeParticipant("bad", (_, _) => throw new IOException("boom"), _log));
        await using var scheduler = new CheckpointScheduler(coordinator, new FakeInjector(1), TimeSpan.FromHours(1));
        CheckpointResult? rewound = null;
        scheduler.OnAborted = (result, _) =>
        {
            rewound = result;
            return ValueTask.CompletedTask;
        };

        var result = await scheduler.TriggerAsync(CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Aborted, result.Outcome);
        Assert.Same(result, rewound);
    }

    /// <summary>
    /// A participant whose snapshot is in flight when the scheduler is disposed: the checkpoint must
    /// complete (manifest written, sink epoch committed) rather than be cancelled and its epoch dropped.
    /// </summary>
    [Fact]
    public async Task Dispose_WhileAnIntervalCheckpointIsInFlight_LetsItCompleteAndCommit()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        coordinator.Register(new FakeParticipant("op", async (_, token) =>
        {
            using var registration = token.Register(() => cancelled.TrySetResult());
            entered.TrySetResult();
            await release.Task;
        }, _log));
        coordinator.RegisterSink(new RecordingSink("sink", store, _log));
        var disposeWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduler = new CheckpointScheduler(coordinator, new FakeInjector(1), TimeSpan.FromMilliseconds(10))
        {
            DisposeWaitingHook = () => disposeWaiting.TrySetResult(),
        };
        scheduler.Start();
        await entered.Task.WaitAsync(s_guard);

        var disposing = scheduler.DisposeAsync().AsTask();
        // Dispose has stopped the interval (the callbacks of its cancellation have run) and now waits
        // for the checkpoint: a dispose that cancelled it has done so by this point.
        await disposeWaiting.Task.WaitAsync(s_guard);
        Assert.False(cancelled.Task.IsCompleted, "disposing cancelled the checkpoint in flight");
        Assert.False(disposing.IsCompleted, "dispose returned while the checkpoint was in flight");
        release.SetResult();
        await disposing.WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Completed, scheduler.LastResult?.Outcome);
        Assert.True(store.IsComplete(1));
        lock (_log)
        {
            Assert.Contains("commit:sink:1:manifest", _log);
            Assert.DoesNotContain(_log, e => e.StartsWith("abort:", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Dispose_WaitsForAnOnDemandCheckpoint_AndLaterTriggersThrow()
    {
        var store = new CheckpointStore(_dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        coordinator.Register(new FakeParticipant("op", async (_, _) =>
        {
            entered.TrySetResult();
            await release.Task;
        }, _log));
        coordinator.RegisterSink(new RecordingSink("sink", store, _log));
        var scheduler = new CheckpointScheduler(coordinator, new FakeInjector(1), TimeSpan.FromHours(1));
        var trigger = scheduler.TriggerAsync(CancellationToken.None);
        await entered.Task.WaitAsync(s_guard);

        var disposing = scheduler.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        release.SetResult();
        await disposing.WaitAsync(s_guard);

        Assert.True(trigger.IsCompletedSuccessfully);
        Assert.Equal(CheckpointOutcome.Completed, (await trigger).Outcome);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => scheduler.TriggerAsync(CancellationToken.None));
        lock (_log) Assert.Contains("commit:sink:1:manifest", _log);
    }
}

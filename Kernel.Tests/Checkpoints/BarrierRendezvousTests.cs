using Kernel.Checkpoints;

namespace Kernel.Tests.Checkpoints;

public sealed class BarrierRendezvousTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Wait_AfterTheBarrierArrived_ReturnsTheCapture()
    {
        var rendezvous = new BarrierRendezvous<string>();
        rendezvous.Arrive(1, "state at 1");
        Assert.Equal("state at 1", await rendezvous.WaitAsync(1, CancellationToken.None).AsTask().WaitAsync(s_guard));
        Assert.Equal(0, rendezvous.PendingCount);
    }

    [Fact]
    public async Task Wait_BeforeTheBarrierArrives_CompletesWhenItDoes()
    {
        var rendezvous = new BarrierRendezvous<int>();
        var waiting = rendezvous.WaitAsync(2, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        rendezvous.Arrive(2, 42);
        Assert.Equal(42, await waiting.WaitAsync(s_guard));
        Assert.Equal(0, rendezvous.PendingCount);
    }

    [Fact]
    public async Task Wait_Cancelled_ThrowsAndForgetsTheSlot()
    {
        var rendezvous = new BarrierRendezvous<int>();
        using var cts = new CancellationTokenSource();
        var waiting = rendezvous.WaitAsync(3, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(s_guard));
        Assert.Equal(0, rendezvous.PendingCount);
    }

    [Fact]
    public void Arrive_DropsOlderUncollectedCaptures()
    {
        var rendezvous = new BarrierRendezvous<int>();
        rendezvous.Arrive(1, 1); // checkpoint 1 aborted before its participant asked
        rendezvous.Arrive(2, 2);
        Assert.Equal(1, rendezvous.PendingCount);
        rendezvous.Forget(2);
        Assert.Equal(0, rendezvous.PendingCount);
    }

    [Fact]
    public void Arrive_Twice_Throws()
    {
        var rendezvous = new BarrierRendezvous<int>();
        rendezvous.Arrive(1, 1);
        Assert.Throws<InvalidOperationException>(() => rendezvous.Arrive(1, 1));
    }

    [Fact]
    public async Task Participant_BuiltOnIt_SnapshotsWhatTheHandlerCapturedAtTheBarrier()
    {
        using var dir = new TempDirectory("rendezvous");
        var store = new CheckpointStore(dir.Path);
        var coordinator = new CheckpointCoordinator(store);
        var rendezvous = new BarrierRendezvous<long>();
        var log = new List<string>();
        coordinator.Register(new FakeParticipant("handler", async (context, token) =>
        {
            var captured = await rendezvous.WaitAsync(context.CheckpointId, token);
            await File.WriteAllTextAsync(context.GetStatePath("count"), captured.ToString(System.Globalization.CultureInfo.InvariantCulture), token);
        }, log));

        // The handler reaches the barrier before the coordinator is even told.
        rendezvous.Arrive(1, 1234);
        var result = await coordinator.OnBarrierInjectedAsync(1, 99, CancellationToken.None).WaitAsync(s_guard);

        Assert.Equal(CheckpointOutcome.Completed, result.Outcome);
        Assert.Equal("1234", File.ReadAllText(Path.Combine(store.GetCheckpointDirectory(1), "count")));
    }
}

using Kernel.Journal;
using Kernel.Modes;
using Kernel.Queries;
using Kernel.Storage.Log;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Storage.Log;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Modes;

public class JournalFollowerTests
{
    private static void Append(SegmentedLog log, ReadOnlySpan<Order> orders, long firstPosition)
    {
        var payload = new byte[JournalRecord.LengthOf<Order>()];
        for (var i = 0; i < orders.Length; i++)
        {
            JournalRecord.Write(payload, firstPosition + i, 0, orders[i]);
            log.Append(payload, orders[i].TimestampMs);
        }
        log.Flush();
    }

    [Fact]
    public async Task Replay_IntoANewVersion_CatchesUp_FollowsTheTail_AndEqualsTheLiveOutput()
    {
        const int seed = 97;
        var orders = Disordered(seed, 40_000, 30, 5, maxDelayMs: 9 * 60_000);
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 512 * 1024 });
        Append(log, orders.AsSpan(0, 30_000), 0);

        // The live output over the whole journal, in journal order, stream semantics.
        var liveRows = new DailyRows();
        var live = Daily(liveRows);
        live.Apply(orders);
        live.EndOfInput();

        var oldVersion = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(new DailyRows()));
        var serving = new ServingView<WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>>(oldVersion);
        var newRows = new DailyRows();
        var newVersion = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(newRows));
        var follower = new JournalFollower<Order>(log, 0, newVersion);
        using var stop = new CancellationTokenSource();
        var run = follower.RunAsync(stop.Token);

        await follower.CaughtUp.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(follower.NextOffset >= 30_000, $"seed {seed}: caught up at {follower.NextOffset}");
        Assert.Equal(2, serving.Switch(newVersion));
        var (view, version) = serving.Read();
        Assert.Same(newVersion, view);
        Assert.Equal(2, version);
        // The last day of the replayed prefix is still open: it is served from the new version.
        var lastDay = orders[29_999].TimestampMs - orders[29_999].TimestampMs % Day;
        Assert.True(serving.Current.TryGet(orders[29_999].ProductId, lastDay, out _, out var sequence), $"seed {seed}: open day not served");
        Assert.True(sequence >= 30_000, $"seed {seed}: served at sequence {sequence}");

        // The live pipeline keeps appending; the follower continues live.
        Append(log, orders.AsSpan(30_000), 30_000);
        Assert.True(SpinWait.SpinUntil(() => follower.NextOffset == 40_000 || run.IsCompleted, TimeSpan.FromSeconds(30)), $"seed {seed}: stuck at {follower.NextOffset}");
        stop.Cancel();
        Assert.Equal(40_000, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        newVersion.Complete();
        Assert.Equal(live.LateEvents, newVersion.Operator.LateEvents);
        Assert.Equal(liveRows.Finals(), newRows.Finals());
        Assert.Equal(GroupByProductDay(orders), newRows.Finals());
    }

    [Fact]
    public async Task Replay_OfARecordOfAnotherType_FailsNamingTheOffset()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 256 * 1024 });
        Append(log, Orders(98, 10, 2, 1, false), 0);
        log.Append(new byte[5], 0);
        log.Flush();
        var follower = new JournalFollower<Order>(log, 0, new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(new DailyRows())));
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => follower.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("offset 10", e.Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => follower.CaughtUp.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}

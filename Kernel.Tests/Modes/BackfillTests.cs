using Kernel.Journal;
using Kernel.Modes;
using Kernel.Queries;
using Kernel.Storage.Log;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Storage.Log;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;
using DailyView = Kernel.Queries.WindowedStateView<
    Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.DailyRevenue.State,
    Kernel.Tests.Generators.Declarations.DailyRevenue, Kernel.Tests.Generators.Declarations.DailyRevenue.Spec>;

namespace Kernel.Tests.Modes;

public sealed class BackfillTests : IDisposable
{
    private readonly TempLogDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

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

    [Theory]
    [InlineData(31, 0, 30_000)]
    [InlineData(32, 4_321, 25_000)]
    [InlineData(33, 29_000, 30_000)]
    public void BackfillOfARange_WithoutLateEvents_EqualsBatchOverTheRange(int seed, int from, int to)
    {
        // Disorder below the declared 10m out-of-orderness: the range holds no late events.
        var orders = Disordered(seed, 30_000, 40, 5, maxDelayMs: 9 * 60_000);
        using var log = SegmentedLog.Open(Path.Combine(_dir.Path, "journal"), new LogOptions { SegmentBytes = 256 * 1024 });
        Append(log, orders, 0);

        var backfillRows = new DailyRows();
        var backfill = Daily(backfillRows);
        Assert.Equal(to - from, Backfill<Order, DailyView>.RunRange(log, from, to, backfill, batchSize: 1000));
        Assert.Equal(0, backfill.LateEvents);

        var batchRows = new DailyRows();
        var batch = BatchTarget.For(Daily(batchRows));
        BatchRunner.RunLog<Order, WindowedBatchTarget<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>>(batch, log, from, to);

        var expected = GroupByProductDay(orders.AsSpan(from, to - from).ToArray());
        Assert.True(expected.Count > 0, $"seed {seed}");
        Assert.Equal(expected, batchRows.Finals());
        Assert.Equal(expected, backfillRows.Finals());
        // Final mode: each (product, day) once, never revised.
        Assert.Equal(expected.Count, backfillRows.Rows.Count(r => r.Revision.IsFinal));
    }

    [Fact]
    public async Task Backfill_CatchesUp_PublishesItsOutputVersion_SwitchesAtomically_AndContinuesLive()
    {
        const int seed = 41;
        var orders = Disordered(seed, 40_000, 30, 5, maxDelayMs: 9 * 60_000);
        using var log = SegmentedLog.Open(Path.Combine(_dir.Path, "journal"), new LogOptions { SegmentBytes = 256 * 1024 });
        Append(log, orders.AsSpan(0, 25_000), 0);
        var outputs = new OutputVersions(Path.Combine(_dir.Path, "out"));

        // Version 1, live: a buggy aggregation that keyed every order 1000 products off. Its rows
        // are recognisable (product ≥ 1000) in any answer.
        var v1 = new DailyView(Daily(new DailyRows()));
        var shifted = orders.AsSpan(0, 25_000).ToArray();
        for (var i = 0; i < shifted.Length; i++) shifted[i].ProductId += 1000;
        v1.ApplyStream(shifted);
        Assert.Equal(1, outputs.CreateNext());
        File.WriteAllText(Path.Combine(outputs.PathOf(1), "rows.csv"), "v1\n");
        outputs.Publish(1);
        var serving = new ServingView<DailyView>(v1);

        // Version 2: the fix, replayed from the start of the journal into a new output version.
        var v2Rows = new DailyRows();
        var v2 = new DailyView(Daily(v2Rows));
        var version = outputs.CreateNext();
        Assert.Equal(2, version);
        File.WriteAllText(Path.Combine(outputs.PathOf(2), "rows.csv"), "v2\n");
        var backfill = new Backfill<Order, DailyView>(log, 0, v2, serving, outputs, version);

        // Readers query all through: every answer comes from one version, whole.
        using var stopReaders = new CancellationTokenSource();
        var days = Enumerable.Range(0, 5).Select(d => Start + d * Day).ToArray();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            long lastVersion = 0, answers = 0, afterSwitch = 0;
            var rows = new List<DailyRevenue>();
            while (!stopReaders.IsCancellationRequested || afterSwitch < 50)
            {
                var (view, served) = serving.Read();
                Assert.True(served >= lastVersion, $"seed {seed}: version went back from {lastVersion} to {served}");
                lastVersion = served;
                Assert.Same(served == 1 ? v1 : v2, view);
                // The output was published before the view switched: a reader served v2 finds v2's output current.
                var output = outputs.Current;
                Assert.True(output >= served, $"seed {seed}: served version {served} while output version {output} is current");
                Assert.Equal(output == 1 ? "v1\n" : "v2\n", File.ReadAllText(Path.Combine(outputs.PathOf(output), "rows.csv")));
                rows.Clear();
                view.CopyWindow(days[answers % days.Length], rows);
                foreach (var row in rows)
                    Assert.True(served == 1 ? row.ProductId >= 1000 : row.ProductId < 1000,
                        $"seed {seed}: version {served} answered with product {row.ProductId}");
                answers++;
                if (served == 2) afterSwitch++;
            }
            return answers;
        }, CancellationToken.None)).ToArray();

        using var stop = new CancellationTokenSource();
        var run = backfill.RunAsync(stop.Token);
        Assert.Equal(2, await backfill.Switched.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(backfill.Follower.NextOffset >= 25_000, $"seed {seed}: switched at offset {backfill.Follower.NextOffset}");
        Assert.Equal(2, outputs.Current);

        // The live pipeline keeps appending: the new version follows the tail.
        Append(log, orders.AsSpan(25_000), 25_000);
        Assert.True(SpinWait.SpinUntil(() => backfill.Follower.NextOffset == 40_000 || run.IsCompleted, TimeSpan.FromSeconds(30)),
            $"seed {seed}: stuck at {backfill.Follower.NextOffset}");
        stopReaders.Cancel();
        foreach (var reader in readers) Assert.True(await reader.WaitAsync(TimeSpan.FromSeconds(60)) > 0);
        stop.Cancel();
        Assert.Equal(40_000, await run.WaitAsync(TimeSpan.FromSeconds(30)));

        v2.Complete();
        Assert.Equal(0, v2.Operator.LateEvents);
        Assert.Equal(GroupByProductDay(orders), v2Rows.Finals());
        Assert.Equal([1L, 2], outputs.List());
        Assert.Throws<InvalidOperationException>(() => outputs.Delete(2));
        outputs.Delete(1);
        Assert.Equal([2L], outputs.List());
    }

    [Fact]
    public async Task Backfill_ThatFails_NeverSwitches()
    {
        using var log = SegmentedLog.Open(Path.Combine(_dir.Path, "journal"), new LogOptions { SegmentBytes = 256 * 1024 });
        Append(log, Orders(43, 100, 3, 1, false), 0);
        log.Append(new byte[7], 0);
        log.Flush();
        var v1 = new DailyView(Daily(new DailyRows()));
        var serving = new ServingView<DailyView>(v1);
        var outputs = new OutputVersions(Path.Combine(_dir.Path, "out"));
        var version = outputs.CreateNext();
        var backfill = new Backfill<Order, DailyView>(log, 0, new DailyView(Daily(new DailyRows())), serving, outputs, version);
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => backfill.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("offset 100", e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidDataException>(() => backfill.Switched.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Same(v1, serving.Current);
        Assert.Equal(0, outputs.Current);
    }
}

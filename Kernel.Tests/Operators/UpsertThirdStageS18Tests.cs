using Kernel.Operators;
using Xunit.Abstractions;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>
/// Issue 3's "pipelines form a DAG" one stage deeper: an <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/>
/// sends its own changes to a change sink, so a third aggregation follows it live. A downstream key whose last
/// upstream row leaves is sent as a retraction (<see cref="RowRevision.IsRetraction"/>), which an upsert consumer
/// takes back. Expected rows are written by hand, or computed with LINQ from the first stage's rows.
/// </summary>
public sealed class UpsertThirdStageS18Tests(ITestOutputHelper output)
{
    private sealed class Recorder<T>(IRowSink<T>? next = null) : IRowSink<T>
    {
        public readonly List<(T Row, RowRevision Revision)> Rows = [];

        public void OnRow(in T row, in RowRevision revision)
        {
            Rows.Add((row, revision));
            next?.OnRow(row, revision);
        }
    }

    private static D.RevenueByProduct Row(long product, long band, long revenue)
        => new() { ProductId = product, Cheapest = band, RevenueCents = revenue, Orders = 1 };

    private static UpsertAggregator<D.ProductLeaderboard, D.BandSummary.UpstreamKey, byte, D.BandSummary.State, D.BandSummary, D.BandSummary.Spec> NewSummary() => new();

    private static UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> NewBoard(IRowSink<D.ProductLeaderboard> changes)
        => new(changes: changes);

    [Fact]
    public void ChangesAndRetractions_FollowTheSecondStage_ByHand()
    {
        var summary = NewSummary();
        var sent = new Recorder<D.ProductLeaderboard>(summary);
        var board = NewBoard(sent);
        // (row fed to the board, the board's rows sent: (band, best, products, retraction), the summary after it: (top, products, bands))
        var steps = new (D.RevenueByProduct Row, (long, long, long, bool)[] Sent, (long, long, long) Summary)[]
        {
            (Row(1, 100, 10), [(100, 10, 1, false)], (10, 1, 1)),
            (Row(2, 200, 30), [(200, 30, 1, false)], (30, 2, 2)),
            (Row(1, 100, 5), [(100, 5, 1, false)], (30, 2, 2)),                          // band 100's maximum revised down
            (Row(2, 100, 30), [(200, 30, 1, true), (100, 30, 2, false)], (30, 2, 1)),    // band 200 empties: retracted
            (Row(2, 100, 30), [], (30, 2, 1)),                                           // the same row: nothing
            (Row(3, 100, 1), [(100, 30, 3, false)], (30, 3, 1)),
            (Row(3, 100, 2), [], (30, 3, 1)),                                            // state unchanged (30, 3): nothing sent
        };
        for (var i = 0; i < steps.Length; i++)
        {
            var (row, expectedSent, expectedSummary) = steps[i];
            sent.Rows.Clear();
            board.Apply(row);
            var got = sent.Rows.Select(r => (r.Row.PriceBand, r.Row.BestRevenueCents, r.Row.Products, r.Revision.IsRetraction)).ToArray();
            Assert.True(expectedSent.SequenceEqual(got), $"step {i}: sent [{string.Join(", ", got)}], expected [{string.Join(", ", expectedSent)}]");
            Assert.True(summary.TryGet(0, out var s), $"step {i}: no summary row");
            Assert.True(expectedSummary == (s.TopBest, s.AllProducts, s.Bands), $"step {i}: summary ({s.TopBest}, {s.AllProducts}, {s.Bands}), expected {expectedSummary}");
        }
        Assert.Equal(6, board.ChangesEmitted);
        // Revisions grow with the rows applied, so a band's later row has the higher revision.
        var revisions = new List<int>();
        board.Apply(Row(4, 100, 50));
        board.Apply(Row(4, 100, 60));
        revisions.AddRange(sent.Rows.Select(r => r.Revision.Revision));
        Assert.True(revisions.Count == 2 && revisions[1] > revisions[0], $"revisions {string.Join(", ", revisions)}");
    }

    [Fact]
    public void RetractionOfAnUnknownIdentity_ChangesNothing()
    {
        var summary = NewSummary();
        summary.Apply(new D.ProductLeaderboard { PriceBand = 100, BestRevenueCents = 7, Products = 2 });
        summary.OnRow(new D.ProductLeaderboard { PriceBand = 999, BestRevenueCents = 70, Products = 5 }, new RowRevision(0, 0, 0, false, 0) { IsRetraction = true });
        Assert.True(summary.TryGet(0, out var s));
        Assert.Equal((7L, 2L, 1L), (s.TopBest, s.AllProducts, s.Bands));
        summary.OnRow(new D.ProductLeaderboard { PriceBand = 100 }, new RowRevision(0, 0, 0, false, 0) { IsRetraction = true });
        Assert.False(summary.TryGet(0, out _), "the last band retracted: the global row is gone");
        Assert.Equal(0, summary.UpstreamRows);
    }

    [Theory]
    [InlineData(1801, 40)]
    [InlineData(1802, 300)]
    public void ThreeStagesFedLive_EqualTheOracle_AfterEveryBatch(int seed, int products)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var summary = NewSummary();
        var board = NewBoard(summary);
        var revenue = new KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec>(
            new KeyedAggregatorOptions { InitialCapacity = 16 }, board);
        var orders = new D.Order[64];
        for (var batch = 0; batch < 60; batch++)
        {
            for (var i = 0; i < orders.Length; i++)
            {
                // Cheapest prices fall over time: products move to lower bands and the higher bands empty.
                orders[i] = new D.Order
                {
                    OrderId = batch * orders.Length + i,
                    ProductId = random.Next(products),
                    PriceCents = random.Next(-20, 400 - 5 * batch),   // a few unpaid orders, filtered by the first stage
                    Quantity = random.Next(1, 4),
                    TimestampMs = batch * 1000 + i,
                };
            }
            revenue.Apply(orders);
            var first = new List<D.RevenueByProduct>();
            foreach (var row in revenue.GetRows()) first.Add(row);
            var bands = first.GroupBy(r => r.Cheapest).ToDictionary(g => g.Key, g => (Best: g.Max(r => r.RevenueCents), N: (long)g.Count()));
            Assert.True(bands.Count == board.Count, $"seed {seed} batch {batch}: {board.Count} bands, expected {bands.Count}");
            foreach (var (band, e) in bands)
            {
                Assert.True(board.TryGet(band, out var b), $"seed {seed} batch {batch}: band {band} missing");
                Assert.True(e == (b.BestRevenueCents, b.Products), $"seed {seed} batch {batch}: band {band} ({b.BestRevenueCents}, {b.Products}) != {e}");
            }
            Assert.True(summary.TryGet(0, out var s), $"seed {seed} batch {batch}: no summary");
            var expected = (bands.Values.Max(v => v.Best), bands.Values.Sum(v => v.N), (long)bands.Count);
            Assert.True(expected == (s.TopBest, s.AllProducts, s.Bands), $"seed {seed} batch {batch}: summary ({s.TopBest}, {s.AllProducts}, {s.Bands}) != {expected}");
            Assert.Equal(bands.Count, summary.UpstreamRows);
        }
        Assert.True(board.ChangesEmitted > 0 && summary.RowsApplied == board.ChangesEmitted);
    }

    [Fact]
    public void RestoredSecondStage_ResendsItsRows_ToAFreshThirdStage()
    {
        var summary = NewSummary();
        var board = NewBoard(summary);
        board.Apply([Row(1, 100, 10), Row(2, 200, 30), Row(3, 200, 20), Row(1, 300, 12)]);
        var bytes = new System.Buffers.ArrayBufferWriter<byte>();
        board.WriteSnapshot(bytes);

        var freshSummary = NewSummary();
        var restored = NewBoard(freshSummary);
        restored.RestoreSnapshot(bytes.WrittenSpan);
        Assert.False(freshSummary.TryGet(0, out _), "a restore sends nothing by itself");
        restored.ResendRows();
        Assert.True(freshSummary.TryGet(0, out var s));
        Assert.True(summary.TryGet(0, out var original));
        Assert.Equal((30L, 3L, 2L), (s.TopBest, s.AllProducts, s.Bands));   // bands 200 (30, 2) and 300 (12, 1)
        Assert.Equal(original, s);
        // The original third stage, sent the same rows again, changes nothing.
        var emitted = board.ChangesEmitted;
        board.ResendRows();
        Assert.Equal(emitted + 2, board.ChangesEmitted);
        Assert.True(summary.TryGet(0, out var again));
        Assert.Equal(original, again);
    }

    /// <summary>
    /// Recovery of a three-stage chain from the first stage's snapshot alone: the later stages are derived state.
    /// A restored <c>RevenueByProduct</c> counts every key as changed, so its next flush rebuilds a fresh
    /// leaderboard, whose own changes rebuild a fresh summary; both then equal the uninterrupted chain's, and
    /// stay equal as more orders come.
    /// </summary>
    [Fact]
    public void AChainRestoredFromItsFirstStage_RebuildsTheLaterStages()
    {
        var random = new Random(1804);
        D.Order[] Orders(int batch)
        {
            var orders = new D.Order[500];
            for (var i = 0; i < orders.Length; i++)
            {
                orders[i] = new D.Order
                {
                    OrderId = batch * orders.Length + i,
                    ProductId = random.Next(200),
                    PriceCents = random.Next(1, 300 - 40 * batch),
                    Quantity = random.Next(1, 4),
                    TimestampMs = batch * 10_000 + i,
                };
            }
            return orders;
        }
        var summary = NewSummary();
        var board = NewBoard(summary);
        var revenue = D.RevenueByProduct.CreateOperator(changes: board);
        var first = Orders(0);
        revenue.Apply(first);
        var snapshot = new System.Buffers.ArrayBufferWriter<byte>();
        ((ISnapshotOperator)revenue).WriteSnapshot(snapshot);

        var summary2 = NewSummary();
        var board2 = NewBoard(summary2);
        var revenue2 = D.RevenueByProduct.CreateOperator(changes: board2);
        ((ISnapshotOperator)revenue2).RestoreSnapshot(snapshot.WrittenSpan);
        revenue2.FlushChanges();
        AssertSameChain(board, summary, board2, summary2, "after the restore");

        for (var batch = 1; batch < 5; batch++)
        {
            var orders = Orders(batch);
            revenue.Apply(orders);
            revenue2.Apply(orders);
            AssertSameChain(board, summary, board2, summary2, $"batch {batch}");
        }
        Assert.True(board.Count > 1 && summary.TryGet(0, out var s) && s.Bands == board.Count);
    }

    private static void AssertSameChain(
        UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> board,
        UpsertAggregator<D.ProductLeaderboard, D.BandSummary.UpstreamKey, byte, D.BandSummary.State, D.BandSummary, D.BandSummary.Spec> summary,
        UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> board2,
        UpsertAggregator<D.ProductLeaderboard, D.BandSummary.UpstreamKey, byte, D.BandSummary.State, D.BandSummary, D.BandSummary.Spec> summary2,
        string when)
    {
        Assert.True(board.Count == board2.Count, $"{when}: {board2.Count} bands, expected {board.Count}");
        foreach (var row in board.GetRows())
        {
            Assert.True(board2.TryGet(row.PriceBand, out var other), $"{when}: band {row.PriceBand} missing");
            Assert.True(row.Equals(other), $"{when}: band {row.PriceBand}: {other} != {row}");
        }
        Assert.True(summary.TryGet(0, out var s), $"{when}: the summary row is missing");
        Assert.True(summary2.TryGet(0, out var s2), $"{when}: the restored chain's summary row is missing");
        Assert.True(s.Equals(s2), $"{when}: summary {s2} != {s}");
    }
}

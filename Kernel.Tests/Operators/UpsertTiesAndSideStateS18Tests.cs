using System.Globalization;
using Kernel.Operators;
using Kernel.Sketches;
using Kernel.Tests.Generators;
using Xunit.Abstractions;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Operators;

/// <summary>
/// Edges of <c>[Min]</c>/<c>[Max]</c> over upserts found in review: a replacement that ties the extreme leaves the
/// state as a fresh fold would (the tie's form, −0.0 or 1.00m); a key's only row is refolded without a scan; a
/// state whose bytes do not change sends no row; a leaderboard beside a maximum stays exact through rebuilds, and
/// a retraction carries the key's last leaderboard; declarations of many shapes compile. Expected values are
/// written by hand or computed with LINQ over the last row per identity.
/// </summary>
public sealed class UpsertTiesAndSideStateS18Tests(ITestOutputHelper output)
{
    private sealed class Rows<T> : IRowSink<T>
    {
        public readonly List<(T Row, RowRevision Revision)> Got = [];

        public void OnRow(in T row, in RowRevision revision) => Got.Add((row, revision));
    }

    private static UpsertAggregator<D.TickMax, D.TickExtremes.UpstreamKey, byte, D.TickExtremes.State, D.TickExtremes, D.TickExtremes.Spec> NewExtremes(IRowSink<D.TickExtremes>? changes = null)
        => D.TickExtremes.CreateOperator(changes: changes);

    [Fact]
    public void ReplacementTyingTheExtreme_TakesTheNewValuesForm()
    {
        var op = NewExtremes();
        op.Apply(new D.TickMax { Id = 1, Price = 1.0m, D = +0.0 });
        op.Apply(new D.TickMax { Id = 2, Price = 0.5m, D = -1.0 });
        op.Apply(new D.TickMax { Id = 1, Price = 1.00m, D = -0.0 });   // the extremes' row, revised to equal values of another form
        Assert.True(op.TryGet(0, out var got));
        Assert.Equal(0, op.Rebuilds);
        Assert.Equal("1.00", got.BestPrice.ToString(CultureInfo.InvariantCulture));   // a fresh fold of {1.00m, 0.5m}
        Assert.True(double.IsNegative(got.BestD), "max(-0.0, -1.0) is -0.0, as a fresh fold gives");
        Assert.Equal(-1.0, got.LowD);
    }

    [Fact]
    public void AKeysOnlyRow_RevisedBelowItsExtreme_IsRefoldedWithoutAScan()
    {
        var board = D.ProductLeaderboard.CreateOperator();
        board.Apply(new D.RevenueByProduct { ProductId = 1, Cheapest = 100, RevenueCents = 50, Orders = 1 });
        board.Apply(new D.RevenueByProduct { ProductId = 2, Cheapest = 200, RevenueCents = 90, Orders = 1 });
        board.Apply(new D.RevenueByProduct { ProductId = 1, Cheapest = 100, RevenueCents = 20, Orders = 1 });   // band 100's only row, down
        Assert.True(board.TryGet(100, out var row));
        Assert.Equal((20L, 1L), (row.BestRevenueCents, row.Products));
        Assert.Equal(0, board.Rebuilds);
    }

    [Fact]
    public void AStateWhoseBytesDoNotChange_SendsNoRow()
    {
        var sink = new Rows<D.TickExtremes>();
        var op = NewExtremes(sink);
        op.Apply(new D.TickMax { Id = 1, Price = 5m, D = 5 });
        op.Apply(new D.TickMax { Id = 2, Price = 1m, D = 1 });
        op.Apply(new D.TickMax { Id = 3, Price = 5m, D = 5 });   // (5, 5, 1) again: no [Count], nothing changes
        Assert.Equal(2, sink.Got.Count);
        op.Apply(new D.TickMax { Id = 3, Price = 4m, D = 4 });   // inside every extreme: subtracted, still (5, 5, 1)
        Assert.Equal(2, sink.Got.Count);
        op.Apply(new D.TickMax { Id = 2, Price = 1m, D = 0 });   // the minimum's row, down: (5, 5, 0)
        Assert.Equal(3, sink.Got.Count);
        Assert.Equal(0.0, sink.Got[^1].Row.LowD);
    }

    [Theory]
    [InlineData(1851)]
    [InlineData(1852)]
    [InlineData(1853)]
    public void LeaderboardBesideAMaximum_StaysExact_AndRetractionsCarryTheLastLeaderboard(int seed)
    {
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var retractions = new List<(long Band, long Best, (long, long)[] Top)>();
        var sink = new TopSink(retractions);
        var op = D.BandTopMax.CreateOperator(changes: sink);
        var last = new Dictionary<long, D.RevenueByProduct>();
        var entries = new LeaderboardEntry<long, long>[3];
        for (var i = 0; i < 2000; i++)
        {
            var product = random.Next(12);
            var row = new D.RevenueByProduct { ProductId = product, Cheapest = 100 * random.Next(1, 4), RevenueCents = random.Next(0, 30), Orders = 1 };
            if (last.TryGetValue(product, out var before) && before.Cheapest != row.Cheapest && last.Values.Count(r => r.Cheapest == before.Cheapest) == 1)
            {
                // The product is its band's last: the retraction must carry the band as it was.
                var n0 = retractions.Count;
                op.Apply(row);
                Assert.True(retractions.Count == n0 + 1, $"seed {seed} step {i}: band {before.Cheapest} left empty without a retraction");
                var (band, best, top) = retractions[^1];
                Assert.True((before.Cheapest, before.RevenueCents) == (band, best), $"seed {seed} step {i}: retraction ({band}, {best})");
                Assert.True(top.SequenceEqual([(before.ProductId, before.RevenueCents)]), $"seed {seed} step {i}: retraction's leaderboard [{string.Join(", ", top)}]");
            }
            else
            {
                op.Apply(row);
            }
            last[product] = row;
            foreach (var g in last.Values.GroupBy(r => r.Cheapest))
            {
                Assert.True(op.TryGet(g.Key, out var got), $"seed {seed} step {i}: band {g.Key} missing");
                Assert.True(g.Max(r => r.RevenueCents) == got.Best, $"seed {seed} step {i}: band {g.Key} best {got.Best}");
                var n = got.Top.CopyTop(entries);
                var want = g.OrderByDescending(r => r.RevenueCents).ThenBy(r => r.ProductId).Take(3).Select(r => (r.ProductId, r.RevenueCents)).ToArray();
                Assert.True(want.SequenceEqual(entries.Take(n).Select(x => (x.Key, x.Value))), $"seed {seed} step {i}: band {g.Key} leaderboard");
            }
            Assert.Equal(last.Values.Select(r => r.Cheapest).Distinct().Count(), op.Count);
        }
        Assert.True(op.Rebuilds > 0, "the random revisions must take the rebuild path");
        Assert.NotEmpty(retractions);
    }

    private sealed class TopSink(List<(long Band, long Best, (long, long)[] Top)> retractions) : IRowSink<D.BandTopMax>
    {
        private readonly LeaderboardEntry<long, long>[] _entries = new LeaderboardEntry<long, long>[3];

        public void OnRow(in D.BandTopMax row, in RowRevision revision)
        {
            if (!revision.IsRetraction) return;
            var n = row.Top is null ? 0 : row.Top.CopyTop(_entries);
            retractions.Add((row.Band, row.Best, _entries.Take(n).Select(e => (e.Key, e.Value)).ToArray()));
        }
    }

    [Fact]
    public void UpsertDeclarationsOfManyShapes_Compile()
    {
        const string source = """
            using Kernel;
            namespace P;
            public enum Level : byte { Low, High }
            [StreamEvent] public partial struct Ev { public long G; public int E; public ulong H; public short C; public Level M; public bool L; public decimal K; public float I; public long F; [EventTime] public long T; }
            [Aggregation(typeof(Ev))] public partial struct Up { [Key] public Level M; [Key] public bool L; [Key(nameof(Ev.G))] public long G;
                [Max(nameof(Ev.C))] public short MaxC; [Sum(nameof(Ev.H))] public ulong SumH; [Max(nameof(Ev.I))] public float MaxI; [Avg(nameof(Ev.E))] public double AvgE; [Min(nameof(Ev.K))] public decimal MinK; [Max(nameof(Ev.F))] public long MaxF; }
            [Aggregation(typeof(Up))] public partial struct Down { [Key(nameof(Up.M))] public Level M; [Key(nameof(Up.L))] public bool L;
                [Max(nameof(Up.MaxC))] public int A; [Min(nameof(Up.MaxI))] public double B; [Max(nameof(Up.SumH))] public float C; [Min(nameof(Up.MinK))] public decimal D;
                [Avg(nameof(Up.AvgE))] public double E; [Count] public long N; [Sum(nameof(Up.SumH))] public ulong S; [Max(nameof(Up.MaxF))] public float LossyF; [Avg(nameof(Up.MaxC))] public decimal AvgDec; }
            [Aggregation(typeof(Up))] public partial struct DownEnum { [Key(nameof(Up.M))] public Level M; [Max(nameof(Up.MaxC))] public long A; }
            [Aggregation(typeof(Down))] public partial struct Third { [Max(nameof(Down.A))] public long A; [Min(nameof(Down.LossyF))] public double F; }
            """;
        var run = GeneratorHarness.RunGenerator(source);
        Assert.True(run.GeneratorDiagnostics.IsEmpty && run.CompilerDiagnostics.IsEmpty,
            "generator: " + string.Join("\n", run.GeneratorDiagnostics) + "\ncompiler: " + string.Join("\n", run.CompilerDiagnostics.Take(5)));
    }
}

using Kernel.Operators;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Generators;

/// <summary>
/// The generated <c>CreateOperator</c> of each kind of aggregation builds the runtime operator that runs it,
/// with the arguments passed through: windowed, keyed over events (with a change sink), upserts over another
/// aggregation's rows (with their own change sink). Expected rows are written by hand.
/// </summary>
public sealed class CreateOperatorS18Tests
{
    private sealed class Rows<T> : IRowSink<T>
    {
        public readonly List<(T Row, RowRevision Revision)> Got = [];

        public void OnRow(in T row, in RowRevision revision) => Got.Add((row, revision));
    }

    private sealed class Late : ILateEventSink<D.Order>
    {
        public readonly List<long> Times = [];

        public void OnLateEvent(in D.Order e, long eventTimeMs, long watermark) => Times.Add(eventTimeMs);
    }

    private static D.Order Order(long id, long product, long price, long timeMs) =>
        new() { OrderId = id, ProductId = product, PriceCents = price, Quantity = 1, TimestampMs = timeMs };

    [Fact]
    public void Windowed_TakesTheSinkTheLateSinkAndTheOptions()
    {
        const long Day = 86_400_000;
        var rows = new Rows<D.DailyRevenue>();
        var late = new Late();
        // Options override the declaration: no lateness (declared 1h), no out-of-orderness (declared 10m).
        WindowedAggregator<D.Order, long, D.DailyRevenue.State, D.DailyRevenue, D.DailyRevenue.Spec> op =
            D.DailyRevenue.CreateOperator(rows, late, new WindowOptions { AllowedLatenessMs = 0, MaxOutOfOrdernessMs = 0 });
        op.Apply([Order(1, 7, 100, 1_000), Order(2, 7, 50, Day + 5), Order(3, 7, 70, 2_000)]);   // order 3: day 0 has fired
        op.EndOfInput();
        Assert.Equal([2_000L], late.Times);
        Assert.Equal([(0L, 100L, 1L), (Day, 50L, 1L)], rows.Got.Select(r => (r.Row.DayStartMs, r.Row.RevenueCents, r.Row.Orders)));
        Assert.All(rows.Got, r => Assert.True(r.Revision.IsFinal));
    }

    [Fact]
    public void Keyed_TakesTheOptionsAndTheChangeSink()
    {
        var changes = new Rows<D.RevenueByProduct>();
        KeyedAggregator<D.Order, long, D.RevenueByProduct.State, D.RevenueByProduct, D.RevenueByProduct.Spec> op =
            D.RevenueByProduct.CreateOperator(new KeyedAggregatorOptions { InitialCapacity = 8 }, changes);
        op.Apply([Order(1, 7, 100, 1), Order(2, 9, 30, 2), Order(3, 7, 20, 3)]);
        Assert.Equal([(7L, 120L, 2L), (9L, 30L, 1L)], changes.Got.Select(r => (r.Row.ProductId, r.Row.RevenueCents, r.Row.Orders)).OrderBy(r => r.Item1));
        Assert.Same(changes, op.Changes);
        Assert.Null(D.RevenueByProduct.CreateOperator().Changes);   // defaults: no sink
    }

    [Fact]
    public void Upsert_TakesTheCapacityAndTheChangeSink()
    {
        var changes = new Rows<D.ProductLeaderboard>();
        UpsertAggregator<D.RevenueByProduct, D.ProductLeaderboard.UpstreamKey, long, D.ProductLeaderboard.State, D.ProductLeaderboard, D.ProductLeaderboard.Spec> board =
            D.ProductLeaderboard.CreateOperator(changes: changes);
        // A three-stage chain built from the factories alone.
        var summary = D.BandSummary.CreateOperator();
        var relay = D.ProductLeaderboard.CreateOperator(changes: summary);
        var revenue = D.RevenueByProduct.CreateOperator(changes: new Tee(board, relay));
        revenue.Apply([Order(1, 7, 100, 1), Order(2, 9, 30, 2), Order(3, 7, 20, 3)]);
        // Bands are the cheapest price: product 7 in band 20 (120 cents), product 9 in band 30 (30 cents).
        Assert.Equal([(20L, 120L, 1L), (30L, 30L, 1L)], changes.Got.Select(r => (r.Row.PriceBand, r.Row.BestRevenueCents, r.Row.Products)).OrderBy(r => r.Item1));
        Assert.True(summary.TryGet(0, out var s));
        Assert.Equal((120L, 2L, 2L), (s.TopBest, s.AllProducts, s.Bands));
    }

    private sealed class Tee(params IRowSink<D.RevenueByProduct>[] sinks) : IRowSink<D.RevenueByProduct>
    {
        public void OnRow(in D.RevenueByProduct row, in RowRevision revision)
        {
            foreach (var sink in sinks) sink.OnRow(row, revision);
        }
    }
}

using Kernel.Operators;
using Kernel.Time;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Generators;

/// <summary>
/// Issue 4's declaration as the generator compiles it (<see cref="D.DailyRevenue"/>: one-day tumbling windows, a 10-minute
/// bound, one hour of allowed lateness, Final), over several simulated days of orders arriving out of order, some far
/// too late. The expected rows are a GROUP BY (product, day) written here over the events that are not late, and the
/// late-events output must receive exactly the late ones, each once: both derived from the definitions (an event is
/// late when, as it arrives, the watermark, largest earlier time − 10 min − 1 ms, has reached its day's end − 1 + 1 h).
/// </summary>
public sealed class DeclaredDailyRevenuePropertyTests
{
    private const long Minute = 60_000, Hour = 60 * Minute, Day = 24 * Hour, Bound = 10 * Minute, Lateness = Hour;

    private sealed class Rows : IRowSink<D.DailyRevenue>
    {
        public readonly List<(D.DailyRevenue Row, RowRevision Revision)> Got = [];

        public void OnRow(in D.DailyRevenue row, in RowRevision revision) => Got.Add((row, revision));
    }

    private sealed class Late : ILateEventSink<D.Order>
    {
        public readonly List<long> OrderIds = [];

        public void OnLateEvent(in D.Order e, long eventTimeMs, long watermark) => OrderIds.Add(e.OrderId);
    }

    [Theory]
    [InlineData(401, false)]
    [InlineData(402, true)]
    [InlineData(403, true)]
    public void FinalRows_EqualGroupByOverTheEventsNotLate_AndTheLateOnesAreHandedOut(int seed, bool withLate)
    {
        var rng = new Random(seed);
        // Five days of orders, ~40 s apart, over 12 products; each arrives up to the bound late, and with withLate one
        // in 25 arrives up to 3 h late: past the day's end plus the hour of lateness when it falls near midnight.
        var events = new List<(long Arrival, D.Order Order)>();
        long t = 3 * Day;
        for (var id = 0; t < 8 * Day; id++)
        {
            t += rng.Next(1, 80_000);
            var price = rng.Next(12) == 0 ? 0 : rng.Next(1, 10_000);   // the declaration has no [Where]: unpaid orders count, with no revenue
            var order = new D.Order { OrderId = id, ProductId = rng.Next(12), PriceCents = price, Quantity = rng.Next(1, 4), TimestampMs = t };
            var delay = withLate && rng.Next(25) == 0 ? rng.NextInt64(0, 3 * Hour) : rng.NextInt64(0, Bound + 1);
            events.Add((t + delay, order));
        }
        var arrivals = events.OrderBy(e => e.Arrival).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();

        var rows = new Rows();
        var late = new Late();
        var op = D.DailyRevenue.CreateOperator(rows, late, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < arrivals.Length;)
        {
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 300));
            op.Apply(arrivals.AsSpan(i, n));
            i += n;
        }
        op.EndOfInput();

        var expected = new Dictionary<(long Product, long Day), (long Revenue, long Orders)>();
        var expectedLate = new List<long>();
        var max = long.MinValue;
        foreach (var o in arrivals)
        {
            var w = max == long.MinValue ? long.MinValue : max - Bound - 1;
            max = Math.Max(max, o.TimestampMs);
            var day = o.TimestampMs / Day * Day;
            if (day + Day - 1 + Lateness <= w)
            {
                expectedLate.Add(o.OrderId);
                continue;
            }
            var a = expected.GetValueOrDefault((o.ProductId, day));
            expected[(o.ProductId, day)] = (a.Revenue + o.RevenueCents, a.Orders + 1);
        }

        Assert.True(withLate == expectedLate.Count > 0, $"seed {seed}: {expectedLate.Count} late events where {(withLate ? "some" : "none")} were meant");
        Assert.True(expectedLate.SequenceEqual(late.OrderIds), $"seed {seed}: late output [{string.Join(", ", late.OrderIds)}], expected [{string.Join(", ", expectedLate)}]");
        Assert.Equal(expectedLate.Count, op.LateEvents);
        // Final: one row per (product, day), never revised.
        Assert.All(rows.Got, r => Assert.True(r.Revision.IsFinal && r.Revision.Revision == 0, $"seed {seed}: a revised or non-final row"));
        Assert.True(expected.Count == rows.Got.Count, $"seed {seed}: {rows.Got.Count} rows, expected {expected.Count}");
        // One row per (product, day): a duplicate paired with a missing row would pass the count and the lookups.
        Assert.Equal(rows.Got.Count, rows.Got.Select(r => (r.Row.ProductId, r.Row.DayStartMs)).Distinct().Count());
        foreach (var (row, _) in rows.Got)
        {
            Assert.True(row.DayEndMs == row.DayStartMs + Day, $"seed {seed}: window {row.DayStartMs}-{row.DayEndMs}");
            Assert.True(expected.TryGetValue((row.ProductId, row.DayStartMs), out var e), $"seed {seed}: unexpected row {row.ProductId}@{row.DayStartMs}");
            Assert.True(e == (row.RevenueCents, row.Orders), $"seed {seed}: {row.ProductId}@{row.DayStartMs}: {row.RevenueCents}/{row.Orders}, expected {e.Revenue}/{e.Orders}");
        }
        Assert.Equal(0, op.OpenBuckets);
    }
}

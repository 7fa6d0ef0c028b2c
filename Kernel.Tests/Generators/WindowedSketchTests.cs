using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Generators;

/// <summary>
/// Sketch members per key and tumbling window, through the windowed operator: each (product, day)
/// gets its own distinct count and sample, the sketches are released with their window (and reused,
/// so a steady stream allocates nothing), and a snapshot carries them.
/// </summary>
public sealed class WindowedSketchTests
{
    private const long Day = 86_400_000;

    private sealed class Collector : IRowSink<DailyReach>
    {
        public readonly List<(DailyReach Row, Order[] Sample, bool Final)> Rows = [];

        public void OnRow(in DailyReach row, in RowRevision revision)
            => Rows.Add((row, row.Sample.Items.ToArray(), revision.IsFinal));   // the sample is read during the call
    }

    private sealed class CountingSink : IRowSink<DailyReach>
    {
        public long Rows;
        public long Customers;

        public void OnRow(in DailyReach row, in RowRevision revision)
        {
            Rows++;
            Customers += row.Customers + row.Sample.Count;
        }
    }

    /// <summary>Days in order; within a day, products 1..products, each bought by customers of a pool that depends on the day.</summary>
    private static Order[] Orders(int seed, int firstDay, int days, int products, int perDay)
    {
        var random = new Random(seed);
        var orders = new Order[days * perDay];
        for (var d = 0; d < days; d++)
            for (var i = 0; i < perDay; i++)
            {
                var product = random.Next(1, products + 1);
                orders[d * perDay + i] = new Order
                {
                    OrderId = (firstDay + d) * 1_000_000L + i,
                    ProductId = product,
                    CustomerId = random.Next(200 * product + 50 * d),
                    PriceCents = 100,
                    Quantity = 1,
                    TimestampMs = (firstDay + d) * Day + i * (Day / perDay),
                };
            }
        return orders;
    }

    [Fact]
    public void EachKeyAndDay_HasItsOwnDistinctCountAndSample()
    {
        var orders = Orders(1, 0, 4, 6, 20_000);
        var sink = new Collector();
        var op = new WindowedAggregator<Order, long, DailyReach.State, DailyReach, DailyReach.Spec>(sink);
        op.Apply(orders);
        op.EndOfInput();
        var groups = orders.GroupBy(o => (o.ProductId, DayStart: o.TimestampMs / Day * Day)).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(groups.Count, sink.Rows.Count);
        // Precision 12: standard error 1.04/64 = 1.6 %; 3 SE.
        var tolerance = 3 * 1.04 / 64;
        foreach (var (row, sample, final) in sink.Rows)
        {
            Assert.True(final);
            var events = groups[(row.ProductId, row.DayStartMs)];
            var distinct = events.Select(o => o.CustomerId).Distinct().Count();
            var error = Math.Abs(row.Customers - distinct) / (double)distinct;
            Assert.True(error <= tolerance, $"product {row.ProductId} day {row.DayStartMs / Day}: estimate {row.Customers}, exact {distinct}");
            Assert.Equal(events.Count, row.Orders);
            Assert.Equal(4, sample.Length);
            var ids = events.Select(o => o.OrderId).ToHashSet();
            Assert.All(sample, o => Assert.Contains(o.OrderId, ids));
        }
    }

    [Fact]
    public void SketchesAreReleasedWithTheirWindow_SoASteadyStreamAllocatesNothing()
    {
        var sink = new CountingSink();
        var op = new WindowedAggregator<Order, long, DailyReach.State, DailyReach, DailyReach.Spec>(sink);
        op.Apply(Orders(2, 0, 6, 20, 5_000));          // windows fire and release; pools fill
        // The same keys on later days: six fresh days per measured attempt, built beforehand.
        var steady = new Order[5][];
        for (var k = 0; k < steady.Length; k++) steady[k] = Orders(3 + k, 6 + 6 * k, 6, 20, 5_000);
        var attempt = 0;
        var allocated = Allocations.SteadyState(() => op.Apply(steady[attempt++]), attempts: steady.Length);
        Assert.Equal(0, allocated);
        Assert.True(sink.Rows >= 20 * 10, $"{sink.Rows} rows emitted");
        Assert.True(op.OpenBuckets <= 2, $"{op.OpenBuckets} windows still hold state");
    }

    [Fact]
    public void Snapshot_CarriesTheSketchesOfOpenWindows()
    {
        var orders = Orders(4, 0, 3, 5, 6_000);
        var half = orders.Length / 2 + 123;   // mid-day: the open window's sketches go into the snapshot
        var a = new Collector();
        var original = new WindowedAggregator<Order, long, DailyReach.State, DailyReach, DailyReach.Spec>(a);
        original.Apply(orders.AsSpan(0, half));
        var buffer = new ArrayBufferWriter<byte>();
        original.WriteSnapshot(buffer);
        var b = new Collector();
        var restored = new WindowedAggregator<Order, long, DailyReach.State, DailyReach, DailyReach.Spec>(b);
        restored.RestoreSnapshot(buffer.WrittenSpan);
        original.Apply(orders.AsSpan(half));
        restored.Apply(orders.AsSpan(half));
        original.EndOfInput();
        restored.EndOfInput();
        // Rows emitted after the restore, by (product, day): the emission order within a window may differ.
        var after = a.Rows.Skip(a.Rows.Count - b.Rows.Count).ToDictionary(r => (r.Row.ProductId, r.Row.DayStartMs));
        Assert.NotEmpty(b.Rows);
        Assert.Equal(after.Count, b.Rows.Count);
        foreach (var (row, sample, _) in b.Rows)
        {
            var expected = after[(row.ProductId, row.DayStartMs)];
            Assert.Equal((expected.Row.Customers, expected.Row.Orders), (row.Customers, row.Orders));
            Assert.Equal(expected.Sample, sample);
        }
    }

    [Fact]
    public void SessionWindows_AreRefused_ForSketchMembers()
    {
        var options = new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 1000 } };
        Assert.ThrowsAny<ArgumentException>(() => new WindowedAggregator<Order, long, DailyReach.State, DailyReach, DailyReach.Spec>(new CountingSink(), null, options));
    }
}

using Kernel.Queries;
using Kernel.Tests.Generators.Declarations;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Queries;

public class ConcurrentQueryTests
{
    private const int Products = 64;

    // Event i is product i % Products, one order of 1 cent: at sequence s (s events applied) product
    // k has exactly ceil((s − k) / Products) orders, and all products together have s.
    private static long ExpectedOrders(long sequence, long product) =>
        sequence <= product ? 0 : (sequence - product + Products - 1) / Products;

    [Fact]
    public async Task QueriesDuringARun_EachMatchTheStateAtTheSequenceTheyReport()
    {
        const int seed = 94;
        const int events = 400_000;
        var input = new Order[events];
        for (var i = 0; i < events; i++)
            input[i] = new Order { OrderId = i, ProductId = i % Products, PriceCents = 1, Quantity = 1, TimestampMs = Start + i };
        var view = new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed());
        using var done = new CancellationTokenSource();
        long readerChecks = 0;   // Interlocked: readers count their checks; the writer waits on it

        var writer = Task.Run(() =>
        {
            var rng = new Random(seed);
            var batches = 0;
            for (var i = 0; i < events;)
            {
                // Every 16 batches, let the readers check at least once more (bounded wait), so they
                // see the state at many points of the run, not only at its end.
                if (batches++ % 16 == 0)
                {
                    var mark = Volatile.Read(ref readerChecks);
                    SpinWait.SpinUntil(() => Volatile.Read(ref readerChecks) > mark, TimeSpan.FromSeconds(5));
                }
                var n = Math.Min(rng.Next(1, 2000), events - i);
                view.Apply(input.AsSpan(i, n));
                i += n;
            }
            done.Cancel();
        });

        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var rng = new Random(seed * 10 + r);
            var rows = new List<RevenueByProduct>();
            long checks = 0, lastSequence = 0;
            var sequences = new HashSet<long>();
            while (!done.IsCancellationRequested || checks < 100)
            {
                long product = rng.Next(Products);
                var found = view.TryGet(product, out var row, out var sequence);
                var expected = ExpectedOrders(sequence, product);
                Assert.True(found == (expected > 0), $"seed {seed}: product {product} at sequence {sequence}: found {found}");
                if (found) Assert.True(row.Orders == expected && row.RevenueCents == expected, $"seed {seed}: product {product} at sequence {sequence}: {row.Orders} orders, expected {expected}");
                Assert.True(sequence >= lastSequence, $"seed {seed}: sequence went back from {lastSequence} to {sequence}");
                lastSequence = sequence;

                rows.Clear();
                var scanSequence = view.CopyRows(rows);
                long total = 0;
                foreach (var x in rows)
                {
                    Assert.True(x.Orders == ExpectedOrders(scanSequence, x.ProductId), $"seed {seed}: scan at {scanSequence}: product {x.ProductId} has {x.Orders}");
                    total += x.Orders;
                }
                Assert.Equal(scanSequence, total);
                sequences.Add(scanSequence);
                checks++;
                Interlocked.Increment(ref readerChecks);
            }
            return sequences.Count;
        })).ToArray();

        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        var distinct = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(view.TryGet(0, out var final, out var finalSequence));
        Assert.Equal(events, finalSequence);
        Assert.Equal(events / Products, final.Orders);
        // The readers saw the state at several points of the run, not only at its end.
        Assert.True(distinct.Max() > 1, $"seed {seed}: readers saw {distinct.Max()} distinct sequences");
    }

    [Fact]
    public async Task WindowedQueriesDuringABatchRun_EachMatchTheStateAtTheSequenceTheyReport()
    {
        const int seed = 95;
        const int events = 200_000;
        const long step = 2_000;   // ms between events: about 4.6 days in all
        var input = new Order[events];
        for (var i = 0; i < events; i++)
            input[i] = new Order { OrderId = i, ProductId = i % Products, PriceCents = 1, Quantity = 1, TimestampMs = Start + i * step };
        var view = new WindowedStateView<Order, long, DailyRevenue.State, DailyRevenue, DailyRevenue.Spec>(Daily(new Kernel.Tests.Modes.DailyRows()));
        // At sequence s, (product k, day d) holds the events i < s with i % Products == k and day(i) == d.
        static long Expected(long sequence, long product, long day)
        {
            var perDay = Day / step;
            var first = Math.Max(day * perDay, 0);
            var end = Math.Min((day + 1) * perDay, sequence);
            long n = 0;
            for (var i = first; i < end; i++) if (i % Products == product) n++;
            return n;
        }

        using var done = new CancellationTokenSource();
        long readerChecks = 0;   // Interlocked: readers count their checks; the writer waits on it
        var writer = Task.Run(() =>
        {
            var rng = new Random(seed);
            var batches = 0;
            for (var i = 0; i < events;)
            {
                if (batches++ % 8 == 0)
                {
                    var mark = Volatile.Read(ref readerChecks);
                    SpinWait.SpinUntil(() => Volatile.Read(ref readerChecks) > mark, TimeSpan.FromSeconds(5));
                }
                var n = Math.Min(rng.Next(1, 3000), events - i);
                view.Apply(input.AsSpan(i, n));   // batch mode: nothing fires, every day stays live
                i += n;
            }
            done.Cancel();
        });
        var reader = Task.Run(() =>
        {
            var rng = new Random(seed + 1);
            var rows = new List<DailyRevenue>();
            var sequences = new HashSet<long>();
            while (!done.IsCancellationRequested || sequences.Count < 2)
            {
                long product = rng.Next(Products), day = rng.Next(5);
                var found = view.TryGet(product, Start + day * Day, out var row, out var sequence);
                var expected = Expected(sequence, product, day);
                Assert.True(found == (expected > 0) && (!found || row.Orders == expected),
                    $"seed {seed}: ({product}, day {day}) at sequence {sequence}: found {found}, {row.Orders} orders, expected {expected}");
                rows.Clear();
                var scanSequence = view.CopyWindow(Start + day * Day, rows);
                long total = 0, expectedTotal = 0;
                foreach (var x in rows) total += x.Orders;
                for (var k = 0; k < Products; k++) expectedTotal += Expected(scanSequence, k, day);
                Assert.True(total == expectedTotal, $"seed {seed}: day {day} scan at {scanSequence}: {total} orders, expected {expectedTotal}");
                sequences.Add(scanSequence);
                Interlocked.Increment(ref readerChecks);
                if (done.IsCancellationRequested && sequences.Count < 2) break;
            }
            return sequences.Count;
        });
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        var distinct = await reader.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(distinct > 1, $"seed {seed}: the reader saw {distinct} distinct sequences");
        Assert.True(view.TryGet(0, Start, out var first, out var last));
        Assert.Equal(events, last);
        Assert.Equal(Expected(events, 0, 0), first.Orders);
    }
}

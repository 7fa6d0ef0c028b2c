using Kernel.Queries;
using Kernel.Ring;
using Kernel.Tests.Generators.Declarations;
using Xunit;
using static Kernel.Tests.Modes.ModeFixtures;

namespace Kernel.Tests.Queries;

public class RingQueryTests
{
    private const int Products = 32;

    [Fact]
    public async Task View_AsTheRingsHandler_AnswersWithTheRingSequence_WhileThePipelineRuns()
    {
        const int seed = 96;
        const int events = 200_000;
        var view = new KeyedStateView<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(Keyed());
        var ring = new RingBuffer<Order>(1024, ProducerType.Single);
        var pipeline = new RingPipeline<Order>(ring);
        pipeline.AddHandler(view);
        pipeline.Start();
        using var done = new CancellationTokenSource();
        long readerChecks = 0;   // Interlocked: the reader counts its checks; the publisher waits on it

        var reader = Task.Run(() =>
        {
            var rng = new Random(seed);
            var rows = new List<RevenueByProduct>();
            long lastSequence = 0, checks = 0;
            while (!done.IsCancellationRequested)
            {
                long product = rng.Next(Products);
                var found = view.TryGet(product, out var row, out var sequence);
                // Entry i (all events) is product i % Products: ceil((s − k) / Products) orders at sequence s.
                var expected = sequence <= product ? 0 : (sequence - product + Products - 1) / Products;
                Assert.True(found == (expected > 0) && (!found || row.Orders == expected),
                    $"seed {seed}: product {product} at ring sequence {sequence}: {row.Orders} orders, expected {expected}");
                Assert.True(sequence >= lastSequence, $"seed {seed}: sequence went back from {lastSequence} to {sequence}");
                lastSequence = sequence;
                rows.Clear();
                var scan = view.CopyRows(rows);
                long total = 0;
                foreach (var r in rows) total += r.Orders;
                Assert.Equal(scan, total);
                checks++;
                Interlocked.Increment(ref readerChecks);
            }
            return checks;
        });

        var chunk = new Order[500];
        for (var i = 0; i < events; i += chunk.Length)
        {
            // Every 40 chunks, let the reader check at least once more (bounded wait), so it queries
            // while the pipeline runs even when this thread outpaces it.
            if (i / chunk.Length % 40 == 0)
            {
                var mark = Volatile.Read(ref readerChecks);
                SpinWait.SpinUntil(() => Volatile.Read(ref readerChecks) > mark, TimeSpan.FromSeconds(5));
            }
            for (var j = 0; j < chunk.Length; j++)
                chunk[j] = new Order { OrderId = i + j, ProductId = (i + j) % Products, PriceCents = 1, Quantity = 1, TimestampMs = Start + i + j };
            ring.Publish(chunk);
        }
        await pipeline.ShutdownAsync().WaitAsync(TimeSpan.FromSeconds(60));
        done.Cancel();
        var checks = await reader.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(checks > 0, $"seed {seed}: the reader made no check");

        Assert.True(view.TryGet(1, out var final, out var sequence));
        Assert.Equal(events, sequence);   // every entry (all events) handled
        Assert.Equal(events / Products, final.Orders);
    }
}

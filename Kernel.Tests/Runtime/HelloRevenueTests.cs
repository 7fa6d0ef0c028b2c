using Kernel.Queries;
using Kernel.Runtime;
using Kernel.Sources;
using Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Runtime;

/// <summary>README's "hello revenue" program, run on a small file: the documented code must work.</summary>
public sealed class HelloRevenueTests
{
    [Fact]
    public async Task HelloRevenue_FileThroughTheKernel_PrintsOneRowPerDayAndProduct()
    {
        var dir = Directory.CreateTempSubdirectory("kernel-hello-");
        try
        {
            var path = Path.Combine(dir.FullName, "orders.csv");
            await File.WriteAllTextAsync(path,
                "order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n" +
                "1,7,3,250,2,2028-02-29T10:00:00.000Z\n" +
                "2,9,3,1000,1,2028-02-29T10:05:00.000Z\n" +
                "3,7,4,0,5,2028-02-29T10:06:00.000Z\n" +
                "4,7,5,100,3,2028-02-29T09:00:00.000Z\n" +
                "5,7,1,200,1,2028-03-01T00:30:00.000Z\n");
            var output = new StringWriter();

            // --- as in README.md, "Hello revenue" (Console.WriteLine there, output.WriteLine here) ---
            var rows = new FinalRows<DailyRevenue>();                         // collects each final row
            await using var kernel = new StreamKernel<Order>();               // a ring buffer and its handlers
            kernel.AddHandler("daily", DailyRevenue.CreateOperator(rows));    // the generated operator
            kernel.Start();
            var orders = new FileSource<Order, Order.Csv.Parser>(path, new SourceOptions { HasHeader = true });
            await orders.RunAsync(kernel);                                    // parse, publish; waits while the ring is full
            await kernel.CompleteAsync();                                     // end of input: every day fires
            foreach (var r in rows.Snapshot().Span)
                output.WriteLine($"{DateTimeOffset.FromUnixTimeMilliseconds(r.DayStartMs):yyyy-MM-dd} product {r.ProductId}: {r.RevenueCents} cents, {r.Orders} order(s)");
            // ---

            // Hand-derived: 29 Feb holds orders 1, 3, 4 of product 7 (500 + 0 + 300) and order 2 of
            // product 9; order 5 is on 1 March. Rows come out in window order, keys in no set order.
            AssertRows(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The hand-derived rows of the five-order file above (README's program prints the same, ReadmeProgramTests):
    /// the two 29 February rows in either order (keys come in no set order), then 1 March's.
    /// </summary>
    internal static void AssertRows(IReadOnlyList<string> lines)
    {
        Assert.Equal(3, lines.Count);
        Assert.Equal(
            ["2028-02-29 product 7: 800 cents, 3 order(s)", "2028-02-29 product 9: 1000 cents, 1 order(s)"],
            lines.Take(2).Order(StringComparer.Ordinal));
        Assert.Equal("2028-03-01 product 7: 200 cents, 1 order(s)", lines[2]);
    }

    [Fact]
    public async Task PublishAsync_MoreEventsThanTheRingHolds_WaitsForRoomAndLosesNothing()
    {
        var rows = new FinalRows<DailyRevenue>();
        await using var kernel = new StreamKernel<Order>(new StreamKernelOptions { RingSize = 64 });
        kernel.AddHandler("daily", DailyRevenue.CreateOperator(rows));
        kernel.Start();
        var batch = new Order[1_000];
        for (var i = 0; i < batch.Length; i++)
            batch[i] = new Order { OrderId = i, ProductId = i % 3, PriceCents = 1, Quantity = 1, TimestampMs = 1_000 + i };
        await kernel.PublishAsync(batch);
        await kernel.CompleteAsync();
        long orders = 0;
        foreach (var r in rows.Snapshot().Span) orders += r.Orders;
        Assert.Equal(batch.Length, orders);
        Assert.Equal(3, rows.Count);
    }
}

namespace Kernel.Tests.Samples;

public sealed class RevenueCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-revenue-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void GenerateBatchStream_WithoutLateOrders_AllAgreeWithGroupBy()
    {
        Assert.Equal(0, RevenueCli.Run("generate", "--orders", "30000", "--days", "3", "--seed", "7", "--late-fraction", "0", "--out", P("orders.csv")).ExitCode);
        var batch = RevenueCli.Run("batch", "--input", P("orders.csv"), "--out", P("batch.csv"));
        Assert.True(batch.ExitCode == 0, batch.Stderr);
        var stream = RevenueCli.Run("stream", "--input", P("orders.csv"), "--data", P("data"), "--out", P("stream.csv"));
        Assert.True(stream.ExitCode == 0, stream.Stderr);

        var orders = RevenueOracle.ReadOrders(P("orders.csv"));
        Assert.Equal(30000, orders.Count);
        var expected = RevenueOracle.Batch(orders);
        Assert.Equal(expected, RevenueOracle.ReadRevenue(P("batch.csv")));
        Assert.Equal(expected, RevenueOracle.ReadRevenue(P("stream.csv")));
        Assert.Empty(RevenueOracle.Stream(orders, 600_000, 3_600_000).Late);
    }

    [Fact]
    public void Stream_LateOrders_GoToLateCsvAndNotToRevenue()
    {
        Assert.Equal(0, RevenueCli.Run("generate", "--orders", "30000", "--days", "4", "--seed", "11", "--late-fraction", "0.01", "--out", P("orders.csv")).ExitCode);
        var stream = RevenueCli.Run("stream", "--input", P("orders.csv"), "--data", P("data"), "--out", P("stream.csv"), "--late-out", P("late.csv"));
        Assert.True(stream.ExitCode == 0, stream.Stderr);

        var orders = RevenueOracle.ReadOrders(P("orders.csv"));
        var (rows, late) = RevenueOracle.Stream(orders, 600_000, 3_600_000);
        Assert.True(late.Count > 50, $"the input should hold late orders, found {late.Count}");
        Assert.Equal(rows, RevenueOracle.ReadRevenue(P("stream.csv")));
        var lateLines = File.ReadAllLines(P("late.csv"));
        Assert.Equal("order_id,product_id,customer_id,price_cents,quantity,event_time", lateLines[0]);
        Assert.Equal(late.Select(o => o.Line), lateLines.Skip(1));
    }

    [Fact]
    public void Stream_ShorterLateness_CountsMoreOrdersLate()
    {
        // Arrival order; out-of-orderness 0, so an order is late once an order at or past its day's end + lateness came before it.
        // Order 3 (27 Feb 23:00) arrives after 28 Feb 00:30: 30 minutes past its day, so late with 0ms and in time with 1h.
        // Order 5 (27 Feb 20:00) arrives after 28 Feb 02:00: 2 hours past its day, late with either.
        const string Header = "order_id,product_id,customer_id,price_cents,quantity,event_time";
        string[] orders =
        [
            "1,7,1,100,1,2028-02-27T12:00:00.000Z",
            "2,7,1,200,1,2028-02-28T00:30:00.000Z",
            "3,7,1,300,1,2028-02-27T23:00:00.000Z",
            "4,7,1,400,1,2028-02-28T02:00:00.000Z",
            "5,7,1,500,1,2028-02-27T20:00:00.000Z",
        ];
        File.WriteAllLines(P("orders.csv"), [Header, .. orders]);

        string[] Stream(string lateness)
        {
            var r = RevenueCli.Run("stream", "--input", P("orders.csv"), "--data", P("data-" + lateness), "--out", P("revenue-" + lateness + ".csv"),
                "--late-out", P("late-" + lateness + ".csv"), "--out-of-orderness", "0ms", "--lateness", lateness);
            Assert.True(r.ExitCode == 0, r.Stderr);
            return File.ReadAllLines(P("late-" + lateness + ".csv"));
        }

        var lateNone = Stream("0ms");
        var lateHour = Stream("1h");

        Assert.Equal([Header, orders[2], orders[4]], lateNone);
        Assert.Equal([Header, orders[4]], lateHour);
        // 27 Feb: order 1 (100), plus order 3 (300) when it is not late; 28 Feb: orders 2 and 4 (200 + 400).
        Assert.Equal(["day,product_id,revenue_cents,orders", "2028-02-27,7,100,1", "2028-02-28,7,600,2"], File.ReadAllLines(P("revenue-0ms.csv")));
        Assert.Equal(["day,product_id,revenue_cents,orders", "2028-02-27,7,400,2", "2028-02-28,7,600,2"], File.ReadAllLines(P("revenue-1h.csv")));
        // The oracle's reading of the contract agrees with the hand count.
        var parsed = RevenueOracle.ReadOrders(P("orders.csv"));
        Assert.Equal([orders[2], orders[4]], RevenueOracle.Stream(parsed, 0, 0).Late.Select(o => o.Line));
        Assert.Equal([orders[4]], RevenueOracle.Stream(parsed, 0, 3_600_000).Late.Select(o => o.Line));
    }

    [Theory]
    [InlineData("3,1,1,100,-2,2028-02-27T00:00:03.000Z", "line 4", "quantity")]
    [InlineData("3,1,1,100,2,2028-02-30T00:00:03.000Z", "line 4", "event_time")]
    [InlineData("3,1,1,abc,2,2028-02-27T00:00:03.000Z", "line 4", "price_cents")]
    [InlineData("3,1,1,100", "line 4", null)]
    public void BadLine_ExitsTwoNamingFileLineAndColumn(string badLine, string line, string? column)
    {
        File.WriteAllText(P("orders.csv"),
            "order_id,product_id,customer_id,price_cents,quantity,event_time\n" +
            "1,1,1,100,1,2028-02-27T00:00:01.000Z\n" +
            "2,1,1,100,1,2028-02-27T00:00:02.000Z\n" +
            badLine + "\n" +
            "4,1,1,100,1,2028-02-27T00:00:04.000Z\n");
        foreach (var verb in new[] { "batch", "stream" })
        {
            var args = verb == "batch"
                ? new[] { "batch", "--input", P("orders.csv"), "--out", P("revenue.csv") }
                : new[] { "stream", "--input", P("orders.csv"), "--data", P("data"), "--out", P("revenue.csv") };
            var r = RevenueCli.Run(args);
            Assert.Equal(2, r.ExitCode);
            Assert.Contains("orders.csv", r.Stderr, StringComparison.Ordinal);
            Assert.Contains(line, r.Stderr, StringComparison.Ordinal);
            if (column is not null) Assert.Contains(column, r.Stderr, StringComparison.Ordinal);
            Assert.Empty(r.Stdout);
            Assert.False(File.Exists(P("revenue.csv")), "nothing may be written to revenue.csv on bad input");
        }
    }

    [Fact]
    public void BadLine_WithSkip_CountsTheOthers()
    {
        File.WriteAllText(P("orders.csv"),
            "order_id,product_id,customer_id,price_cents,quantity,event_time\n" +
            "1,7,1,100,1,2028-02-27T00:00:01.000Z\n" +
            "2,7,1,100,x,2028-02-27T00:00:02.000Z\n" +
            "3,7,1,250,2,2028-02-27T00:00:03.000Z\n");
        var r = RevenueCli.Run("batch", "--input", P("orders.csv"), "--out", P("revenue.csv"), "--on-bad-record", "skip");
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.Equal(["day,product_id,revenue_cents,orders", "2028-02-27,7,600,2"], File.ReadAllLines(P("revenue.csv")));
    }

    [Fact]
    public void MissingColumn_ExitsTwoNamingIt()
    {
        File.WriteAllText(P("orders.csv"), "order_id,product_id,customer_id,price_cents,event_time\n1,1,1,100,2028-02-27T00:00:01.000Z\n");
        var r = RevenueCli.Run("batch", "--input", P("orders.csv"), "--out", P("revenue.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("line 1", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("quantity", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownOption_ExitsTwoWithUsage()
    {
        var r = RevenueCli.Run("batch", "--input", "x.csv", "--out", "y.csv", "--frobnicate", "1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--frobnicate", r.Stderr, StringComparison.Ordinal);
        Assert.Contains("usage:", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingInputFile_ExitsTwoNamingIt()
    {
        var r = RevenueCli.Run("batch", "--input", P("nope.csv"), "--out", P("revenue.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("nope.csv", r.Stderr, StringComparison.Ordinal);
    }
}

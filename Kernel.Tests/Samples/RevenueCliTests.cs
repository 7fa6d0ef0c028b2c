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
        Assert.Equal(0, RevenueCli.Run("generate", "--orders", "20000", "--days", "3", "--seed", "5", "--late-fraction", "0.005", "--out", P("orders.csv")).ExitCode);
        var stream = RevenueCli.Run("stream", "--input", P("orders.csv"), "--data", P("data"), "--out", P("stream.csv"),
            "--out-of-orderness", "1s", "--lateness", "0ms");
        Assert.True(stream.ExitCode == 0, stream.Stderr);
        var (rows, _) = RevenueOracle.Stream(RevenueOracle.ReadOrders(P("orders.csv")), 1_000, 0);
        Assert.Equal(rows, RevenueOracle.ReadRevenue(P("stream.csv")));
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

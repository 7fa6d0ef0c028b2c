using System.Globalization;

namespace Kernel.Tests.Samples;

/// <summary>`revenue replay` and `revenue query` against the data directory of a finished `revenue stream` run.</summary>
public sealed class RevenueReplayQueryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-revenue-rq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private List<RevenueOracle.Order> StreamWithLateOrders()
    {
        Assert.Equal(0, RevenueCli.Run("generate", "--orders", "20000", "--days", "3", "--seed", "23", "--late-fraction", "0.01", "--out", P("orders.csv")).ExitCode);
        var stream = RevenueCli.Run("stream", "--input", P("orders.csv"), "--data", P("data"), "--out", P("stream.csv"), "--checkpoint-interval", "20ms");
        Assert.True(stream.ExitCode == 0, stream.Stderr);
        return RevenueOracle.ReadOrders(P("orders.csv"));
    }

    [Fact]
    public void Replay_FinishedStream_EqualsItsRevenueCsv_LateOrdersIncluded()
    {
        var orders = StreamWithLateOrders();
        var (_, late) = RevenueOracle.Stream(orders, 600_000, 3_600_000);
        Assert.True(late.Count > 20, $"the input should hold late orders, found {late.Count}");

        var replay = RevenueCli.Run("replay", "--data", P("data"), "--out", P("replay.csv"));
        Assert.True(replay.ExitCode == 0, replay.Stderr);
        Assert.Equal(RevenueOracle.ReadRevenue(P("stream.csv")), RevenueOracle.ReadRevenue(P("replay.csv")));
        Assert.Contains($"{late.Count:N0} late", replay.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(P("replay.csv.tmp")));
    }

    [Fact]
    public void Replay_FromOffsetAndFromTimestamp_IsStreamSemanticsOverTheRestOfTheJournal()
    {
        var orders = StreamWithLateOrders();
        var fromOffset = RevenueCli.Run("replay", "--data", P("data"), "--from", "7000", "--out", P("from-offset.csv"));
        Assert.True(fromOffset.ExitCode == 0, fromOffset.Stderr);
        Assert.Equal(RevenueOracle.Stream(orders.Skip(7000).ToList(), 600_000, 3_600_000).Rows, RevenueOracle.ReadRevenue(P("from-offset.csv")));

        // The journal's time seek: the first order (in arrival order) at or after the time.
        var time = orders[0].EventMs + 30 * 3_600_000L;
        var first = orders.FindIndex(o => o.EventMs >= time);
        Assert.True(first > 0);
        var iso = DateTime.UnixEpoch.AddMilliseconds(time).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var fromTime = RevenueCli.Run("replay", "--data", P("data"), "--from", iso, "--out", P("from-time.csv"));
        Assert.True(fromTime.ExitCode == 0, fromTime.Stderr);
        Assert.Contains($"from offset {first}", fromTime.Stderr, StringComparison.Ordinal);
        Assert.Equal(RevenueOracle.Stream(orders.Skip(first).ToList(), 600_000, 3_600_000).Rows, RevenueOracle.ReadRevenue(P("from-time.csv")));
    }

    [Theory]
    [InlineData("yesterday", "--from must be a journal offset")]
    [InlineData("2028-02-30", "--from must be a journal offset")]
    [InlineData("999999", "the journal holds offsets 0 to 19999")]
    public void Replay_BadFrom_ExitsTwo(string from, string message)
    {
        StreamWithLateOrders();
        var r = RevenueCli.Run("replay", "--data", P("data"), "--from", from, "--out", P("replay.csv"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(P("replay.csv")));
    }

    [Fact]
    public void Replay_MissingOrEmptyDataDirectory_ExitsTwo()
    {
        var missing = RevenueCli.Run("replay", "--data", P("nope"), "--out", P("replay.csv"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such directory", missing.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("usage:", missing.Stderr, StringComparison.Ordinal);   // a wrong directory is not a usage mistake

        Directory.CreateDirectory(P("empty"));
        var empty = RevenueCli.Run("replay", "--data", P("empty"), "--out", P("replay.csv"));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("holds no journal", empty.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(P("replay.csv")));
    }

    [Fact]
    public void Query_ReadsTheResultsTable_AllDaysOfAProductAndAPointLookup()
    {
        StreamWithLateOrders();
        var expected = RevenueOracle.ReadRevenue(P("stream.csv"));
        foreach (var product in new long[] { 1, 2, 17 })
        {
            var r = RevenueCli.Run("query", "--data", P("data"), "--product", product.ToString(CultureInfo.InvariantCulture));
            Assert.True(r.ExitCode == 0, r.Stderr);
            var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal("day,product_id,revenue_cents,orders", lines[0]);
            var want = expected.Where(e => e.Key.Product == product)
                .Select(e => $"{e.Key.Day},{product},{e.Value.Revenue},{e.Value.Orders}").ToList();
            Assert.NotEmpty(want);
            Assert.Equal(want, lines.Skip(1));          // in day order
        }

        var first = expected.First(e => e.Key.Product == 2);
        var (day, row) = (first.Key.Day, first.Value);
        var point = RevenueCli.Run("query", "--data", P("data"), "--product", "2", "--day", day);
        Assert.True(point.ExitCode == 0, point.Stderr);
        Assert.Equal($"day,product_id,revenue_cents,orders\n{day},2,{row.Revenue},{row.Orders}\n", point.Stdout);

        var none = RevenueCli.Run("query", "--data", P("data"), "--product", "2", "--day", "1999-01-01");
        Assert.Equal(0, none.ExitCode);
        Assert.Equal("day,product_id,revenue_cents,orders\n", none.Stdout);
    }

    [Theory]
    [InlineData("--product", "x", "--product must be an integer")]
    [InlineData("--day", "2028-13-01", "--day must be a date written YYYY-MM-DD")]
    public void Query_BadArguments_ExitTwo(string option, string value, string message)
    {
        Directory.CreateDirectory(P("data"));
        var args = option == "--product"
            ? new[] { "query", "--data", P("data"), "--product", value }
            : new[] { "query", "--data", P("data"), "--product", "1", option, value };
        var r = RevenueCli.Run(args);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains(message, r.Stderr, StringComparison.Ordinal);
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Query_MissingDataDirectoryOrProduct_ExitsTwo()
    {
        var missing = RevenueCli.Run("query", "--data", P("nope"), "--product", "1");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("no such directory", missing.Stderr, StringComparison.Ordinal);

        Directory.CreateDirectory(P("data"));
        var noTable = RevenueCli.Run("query", "--data", P("data"), "--product", "1");
        Assert.Equal(2, noTable.ExitCode);
        Assert.Contains("holds no results table", noTable.Stderr, StringComparison.Ordinal);

        var noProduct = RevenueCli.Run("query", "--data", P("data"));
        Assert.Equal(2, noProduct.ExitCode);
        Assert.Contains("needs --product", noProduct.Stderr, StringComparison.Ordinal);
    }
}

namespace Kernel.Tests.Samples;

/// <summary>
/// README's first Quick start command: the revenue sample with no arguments (the headline job), run as
/// the built DLL in a fresh directory, checked against an independent GROUP BY of the orders it generated.
/// </summary>
public sealed class HeadlineJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-headline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void NoArguments_StreamsAndBatches_BothEqualToGroupBy()
    {
        var run = RevenueCli.RunIn(_dir);
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains("Stream and batch agree", run.Stdout.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);

        var data = Path.Combine(_dir, "revenue-data");
        var orders = RevenueOracle.ReadOrders(Path.Combine(data, "orders.csv"));
        Assert.Equal(2_000_000, orders.Count);
        Assert.Equal(RevenueOracle.Batch(orders), RevenueOracle.ReadRevenue(Path.Combine(data, "revenue-batch.csv")));
        // The stream's answer: the same GROUP BY without the orders that arrive after their day closed
        // (10m out-of-orderness + 1h lateness, the sample's defaults).
        var (rows, late) = RevenueOracle.Stream(orders, 600_000, 3_600_000);
        Assert.NotEmpty(late);
        Assert.Equal(rows, RevenueOracle.ReadRevenue(Path.Combine(data, "revenue.csv")));
        Assert.Equal(late.Count, File.ReadLines(Path.Combine(data, "late.csv")).Count() - 1);
    }
}

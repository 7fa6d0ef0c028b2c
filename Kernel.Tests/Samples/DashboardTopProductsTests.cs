using Revenue;
using Revenue.Jobs;
using SampleOrder = Revenue.Model.Order;

namespace Kernel.Tests.Samples;

/// <summary>The headline dashboard's "top products today": a query on the stream operator's live state.</summary>
public sealed class DashboardTopProductsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-revenue-dash-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    public void TopProductsToday_IsTheOpenDaysTopFive_FromLiveState(int seed)
    {
        using var job = new StreamJob(new StreamSettings
        {
            Input = Path.Combine(_dir, "unused.csv"),
            DataDirectory = Path.Combine(_dir, "data"),
            Output = Path.Combine(_dir, "revenue.csv"),
        });
        // 2028-02-28, 00:00 to 20:00 UTC, in time order: the day is open (nothing has fired yet).
        const long day = 1_835_308_800_000;
        var rng = new Random(seed);
        var orders = Enumerable.Range(0, 4000).Select(i => new SampleOrder
        {
            OrderId = i,
            ProductId = rng.Next(30),
            CustomerId = rng.Next(100),
            PriceCents = rng.Next(1, 1_000_000),
            Quantity = rng.Next(1, 4),
            TimestampMs = day + i * 18_000L,
        }).ToArray();
        job.View.ApplyStream(orders);
        Assert.Equal(0, job.Operator.RowsEmitted);

        var (rows, title) = Dashboard.TopProducts(job, job.Operator.Watermark);

        var expected = orders.GroupBy(o => o.ProductId)
            .Select(g => (ProductId: g.Key, RevenueCents: g.Sum(o => o.PriceCents * o.Quantity), Orders: (long)g.Count()))
            .OrderByDescending(r => r.RevenueCents).Take(5).ToList();
        Assert.Equal(expected, rows);
        Assert.Equal("top products today (2028-02-28, live)", title);
    }
}

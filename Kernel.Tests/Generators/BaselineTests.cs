namespace Kernel.Tests.Generators;

/// <summary>
/// The emitted code for representative declarations, compared with reviewed snapshots in
/// <c>Baselines/*.g.cs.txt</c>. To refresh after an intended change, run with
/// <c>KERNEL_UPDATE_BASELINES=1</c>, then review the diff before committing.
/// </summary>
public sealed class BaselineTests
{
    internal const string Revenue = """
        using Kernel;

        namespace Shop;

        [StreamEvent]
        public partial struct Order
        {
            public long OrderId;
            public long ProductId;
            public long CustomerId;
            public long PriceCents;
            public int Quantity;
            [EventTime] public long TimestampMs;
            public readonly long RevenueCents => PriceCents * Quantity;
            public readonly bool IsPaid => PriceCents > 0;
        }

        [Aggregation(typeof(Order))]
        [Where(nameof(Order.IsPaid))]
        public partial struct RevenueByProduct
        {
            [Key] public long ProductId;
            [Sum(nameof(Order.RevenueCents))] public long RevenueCents;
            [Count] public long Orders;
            [Min(nameof(Order.PriceCents))] public long Cheapest;
            [Max(nameof(Order.PriceCents))] public long Dearest;
            [Avg(nameof(Order.PriceCents))] public double AvgPrice;
            [First(nameof(Order.OrderId))] public long FirstOrder;
            [Last(nameof(Order.OrderId))] public long LastOrder;
        }
        """;

    internal const string Daily = """
        using Kernel;

        namespace Shop;

        [Aggregation(typeof(Order))]
        [TumblingWindow("1d", Offset = "0h")]
        [Watermark(MaxOutOfOrderness = "10m", IdleTimeout = "30s")]
        [AllowedLateness("1h")]
        [Emit(EmitMode.Final)]
        public partial struct DailyRevenue
        {
            [Key] public long ProductId;
            [WindowStart] public long DayStartMs;
            [Sum(nameof(Order.RevenueCents))] public long RevenueCents;
            [Count] public long Orders;
        }
        """;

    internal const string Sketches = """
        using Kernel;
        using Kernel.Sketches;

        namespace Shop;

        [Aggregation(typeof(Order))]
        [TumblingWindow("1d")]
        public partial struct DailyReach
        {
            [Key] public long ProductId;
            [WindowStart] public long DayStartMs;
            [DistinctCount(nameof(Order.CustomerId))] public long Customers;
            [Sample(100, Seed = 42)] public Reservoir<Order> Sample;
        }

        [Aggregation(typeof(RevenueByProduct))]
        public partial struct TopProducts
        {
            [TopK(10, By = nameof(RevenueByProduct.RevenueCents))] public Leaderboard<long, long> Top;
            [Sum(nameof(RevenueByProduct.RevenueCents))] public long RevenueCents;
            [Count] public long Products;
        }
        """;

    internal const string Readings = """
        using System;
        using Kernel;

        namespace Sensors;

        public enum Region : short { North = 1, South = 2 }

        [StreamEvent]
        public partial record struct Reading
        {
            public Region Region;
            public int SensorId;
            [Column("temp_c")] public double Temperature;
            public bool Valid;
            [EventTime] public DateTimeOffset At;
        }

        [Aggregation(typeof(Reading))]
        [SlidingWindow("1h", Slide = "5m")]
        [Emit(EmitMode.Periodic, Interval = "5s")]
        public partial struct SensorStats
        {
            [Key] public Region Region;
            [Key] public int SensorId;
            [Avg(nameof(Reading.Temperature))] public float AvgTemperature;
            [Last(nameof(Reading.Temperature))] public double LastTemperature;
        }
        """;

    public static TheoryData<string> Files => new()
    {
        "Shop.Order.Csv.g.cs",
        "Shop.Order.JsonLines.g.cs",
        "Shop.RevenueByProduct.Aggregation.g.cs",
        "Shop.RevenueByProduct.Csv.g.cs",
        "Shop.RevenueByProduct.JsonLines.g.cs",
        "Shop.DailyRevenue.Aggregation.g.cs",
        "Sensors.SensorStats.Aggregation.g.cs",
        "Sensors.Reading.JsonLines.g.cs",
        "Shop.DailyReach.Aggregation.g.cs",
        "Shop.TopProducts.Aggregation.g.cs",
    };

    private static readonly Lazy<GeneratorHarness.Run> s_shop = new(() => GeneratorHarness.RunGenerator(Revenue, Daily, Sketches));
    private static readonly Lazy<GeneratorHarness.Run> s_sensors = new(() => GeneratorHarness.RunGenerator(Readings));

    [Theory]
    [MemberData(nameof(Files))]
    public void Generated_MatchesReviewedBaseline(string hintName)
    {
        var run = hintName.StartsWith("Shop.", StringComparison.Ordinal) ? s_shop.Value : s_sensors.Value;
        Assert.True(run.Generated.TryGetValue(hintName, out var text), hintName + " was not generated; got " + string.Join(", ", run.Generated.Keys));
        var path = Path.Combine(RepoPaths.Baselines, hintName + ".txt");
        if (Environment.GetEnvironmentVariable("KERNEL_UPDATE_BASELINES") == "1")
        {
            Directory.CreateDirectory(RepoPaths.Baselines);
            File.WriteAllText(path, text);
        }
        Assert.True(File.Exists(path), "missing baseline " + path);
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), text.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void RepresentativeDeclarations_CompileWithoutWarnings()
    {
        foreach (var run in new[] { s_shop.Value, s_sensors.Value })
        {
            Assert.Empty(run.GeneratorDiagnostics);
            Assert.True(run.CompilerDiagnostics.IsEmpty, string.Join("\n", run.CompilerDiagnostics));
        }
    }

    [Fact]
    public void EveryFile_StartsWithTheGeneratedHeader()
    {
        foreach (var (name, text) in s_shop.Value.Generated.Concat(s_sensors.Value.Generated))
        {
            Assert.True(text.StartsWith("// <auto-generated/>\n#nullable enable\n", StringComparison.Ordinal), name);
        }
    }
}

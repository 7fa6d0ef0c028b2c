using Kernel.Generators;

namespace Kernel.Tests.Generators;

/// <summary>Parser details that show up in generated names and fingerprints.</summary>
public sealed class ParserTests
{
    [Theory]
    [InlineData("PriceCents", "price_cents")]
    [InlineData("OrderID", "order_id")]
    [InlineData("HTTPRequestId", "http_request_id")]
    [InlineData("Sensor2Id", "sensor2_id")]
    [InlineData("X", "x")]
    [InlineData("already_snake", "already_snake")]
    public void SnakeCase_SplitsWordsAndAcronyms(string member, string expected)
        => Assert.Equal(expected, Parser.SnakeCase(member));

    private const string Event = """
        using Kernel;
        namespace App;
        [StreamEvent]
        public partial struct Order { public long ProductId; public long PriceCents; [EventTime] public long TimestampMs; }
        """;

    private static string FingerprintOf(string aggregation)
    {
        var run = GeneratorHarness.RunGenerator(Event, aggregation);
        Assert.Empty(run.GeneratorDiagnostics);
        var file = run.Generated.Single(p => p.Key.EndsWith(".Aggregation.g.cs", StringComparison.Ordinal)).Value;
        var start = file.IndexOf("StateFingerprint => 0x", StringComparison.Ordinal) + "StateFingerprint => 0x".Length;
        return file.Substring(start, 16);
    }

    [Fact]
    public void Fingerprint_IgnoresTheRowName_ButNotTheLayout()
    {
        const string a = "using Kernel; namespace App; [Aggregation(typeof(Order))] public partial struct A { [Key] public long ProductId; [Sum(nameof(Order.PriceCents))] public long Total; }";
        var renamed = a.Replace("struct A", "struct B", StringComparison.Ordinal);
        var retyped = a.Replace("public long Total", "public double Total", StringComparison.Ordinal);
        var reordered = "using Kernel; namespace App; [Aggregation(typeof(Order))] public partial struct A { [Sum(nameof(Order.PriceCents))] public long Total; [Count] public long N; [Key] public long ProductId; }";
        var withCount = "using Kernel; namespace App; [Aggregation(typeof(Order))] public partial struct A { [Key] public long ProductId; [Count] public long N; [Sum(nameof(Order.PriceCents))] public long Total; }";
        Assert.Equal(FingerprintOf(a), FingerprintOf(renamed));
        Assert.NotEqual(FingerprintOf(a), FingerprintOf(retyped));
        Assert.NotEqual(FingerprintOf(reordered), FingerprintOf(withCount));
    }

    [Fact]
    public void PositionalRecordStructEvent_HasColumnsForItsParameters()
    {
        var run = GeneratorHarness.RunGenerator("""
            using Kernel;
            namespace App;
            [StreamEvent]
            public partial record struct Tick(long Symbol, double Price, [property: EventTime] long TimestampMs);
            [Aggregation(typeof(Tick))]
            public partial struct LastPrice { [Key] public long Symbol; [Last(nameof(Tick.Price))] public double Price; }
            """);
        Assert.Empty(run.GeneratorDiagnostics);
        Assert.True(run.CompilerDiagnostics.IsEmpty, string.Join("\n", run.CompilerDiagnostics));
        Assert.Contains("\"symbol,price,timestamp_ms\\n\"u8", run.Generated["App.Tick.Csv.g.cs"], StringComparison.Ordinal);
        Assert.Contains("public static long EventTime(in global::App.Tick e) => e.TimestampMs;", run.Generated["App.LastPrice.Aggregation.g.cs"], StringComparison.Ordinal);
    }
}

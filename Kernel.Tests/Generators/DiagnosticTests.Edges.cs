using System.Globalization;
using Microsoft.CodeAnalysis;

namespace Kernel.Tests.Generators;

/// <summary>Edge cases of older rules: cycles of one and three aggregations, keys of other types, outputs too narrow for a count or an average.</summary>
public sealed partial class DiagnosticTests
{
    private static List<Diagnostic> Cycles(string source, out MarkedSource marked)
    {
        marked = MarkedSource.Parse(source);
        var run = GeneratorHarness.RunGenerator(marked.Text, Events);
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal("KRN0010", d.Id));
        return run.GeneratorDiagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
    }

    [Fact]
    public void KRN0010_AggregationOverItself()
    {
        var cycles = Cycles("""
            using Kernel;
            namespace App;
            [[|Aggregation(typeof(A))|]]
            public partial struct A { [Key(nameof(A.K))] public long K; [Count] public long N; }
            """, out var marked);
        var d = Assert.Single(cycles);
        Assert.Equal(marked.Span, d.Location.SourceSpan);
        Assert.Equal("Aggregation 'App.A' is part of a cycle: App.A → App.A", d.GetMessage(CultureInfo.InvariantCulture));
    }

    [Fact]
    public void KRN0010_CycleOfThree_ReportedOnEachWithItsOwnPath()
    {
        var cycles = Cycles("""
            using Kernel;
            namespace App;
            [[|Aggregation(typeof(B))|]]
            public partial struct A { [Key(nameof(B.K))] public long K; [Count] public long N; }
            [Aggregation(typeof(C))]
            public partial struct B { [Key(nameof(C.K))] public long K; [Count] public long N; }
            [Aggregation(typeof(A))]
            public partial struct C { [Key(nameof(A.K))] public long K; [Count] public long N; }
            """, out var marked);
        Assert.Equal(3, cycles.Count);
        Assert.Equal(marked.Span, cycles[0].Location.SourceSpan);
        Assert.Equal(
            new[]
            {
                "Aggregation 'App.A' is part of a cycle: App.A → App.B → App.C → App.A",
                "Aggregation 'App.B' is part of a cycle: App.B → App.C → App.A → App.B",
                "Aggregation 'App.C' is part of a cycle: App.C → App.A → App.B → App.C",
            },
            cycles.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// Each aggregation has one input, so nothing off a cycle can feed it; what can touch a cycle from
    /// outside is an aggregation reading one of its members. Its walk enters the cycle and never comes
    /// back to it: it is not reported, and neither is an aggregation of events beside it.
    /// </summary>
    [Fact]
    public void KRN0010_AggregationReadingACycle_IsNotOnIt()
    {
        var cycles = Cycles("""
            using Kernel;
            namespace App;
            [Aggregation(typeof(B))]
            public partial struct A { [Key(nameof(B.K))] public long K; [Count] public long N; }
            [Aggregation(typeof(A))]
            public partial struct B { [Key(nameof(A.K))] public long K; [Count] public long N; }
            [[|Aggregation(typeof(A))|]]
            public partial struct Reader { [Key(nameof(A.K))] public long K; [Count] public long N; }
            [Aggregation(typeof(Order))]
            public partial struct Beside { [Key] public long ProductId; [Count] public long N; }
            """, out var marked);
        Assert.DoesNotContain(cycles, d => d.Location.SourceSpan == marked.Span);
        Assert.Equal(
            new[] { "Aggregation 'App.A' is part of a cycle: App.A → App.B → App.A", "Aggregation 'App.B' is part of a cycle: App.B → App.A → App.B" },
            cycles.Select(d => d.GetMessage(CultureInfo.InvariantCulture)));
    }

    /// <summary>Keys are hashed exactly as integers (docs/diagnostics.md): strings, decimals and structs are refused like double.</summary>
    [Theory]
    [InlineData("string", "ProductId")]
    [InlineData("decimal", "PriceCents")]
    [InlineData("Band", "ProductId")]
    public void KRN0007_UnsupportedKeyType_StringDecimalStruct(string type, string source)
        => AssertDiagnostic("KRN0007",
            Aggregation($"    [[|Key(nameof(Order.{source}))|]] public {type} Band;").Replace("namespace App;\n", "namespace App;\n\npublic struct Band { public long Value; }\n", StringComparison.Ordinal),
            $"Key 'Bad.Band' has type '{type}', which cannot be a key; use an integer, bool, char or enum type");

    [Fact]
    public void KRN0005_CountIntoInt()
        => AssertDiagnostic("KRN0005",
            Aggregation("    [Key] public long ProductId;\n    [[|Count|]] public int Orders;"),
            "'Bad.Orders' of type 'int' cannot hold a [Count] (a 64-bit count); use long");

    [Theory]
    [InlineData("PriceCents", "long", "long")]
    [InlineData("Quantity", "int", "int")]
    public void KRN0005_AvgIntoAnInteger(string source, string sourceType, string rowType)
        => AssertDiagnostic("KRN0005",
            Aggregation($"    [Key] public long ProductId;\n    [[|Avg(nameof(Order.{source}))|]] public {rowType} Mean;"),
            $"'Bad.Mean' of type '{rowType}' cannot hold the [Avg] of 'Order.{source}' ('{sourceType}') without narrowing; use double");
}

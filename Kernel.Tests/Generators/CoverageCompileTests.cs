namespace Kernel.Tests.Generators;

/// <summary>Every supported member type, key type and aggregate combination produces code that compiles cleanly.</summary>
public sealed class CoverageCompileTests
{
    private const string Source = """
        using System;
        using Kernel;

        namespace Wide;

        public enum Level : byte { Low, High }

        [StreamEvent]
        public partial struct Everything
        {
            public sbyte A; public byte B; public short C; public ushort D; public int E; public uint F;
            public long G; public ulong H; public float I; public double J; public decimal K;
            public bool L; public Level M; public DateTimeOffset N; public char O;
            [EventTime] public DateTime At;
            public long Computed => G * 2;
        }

        [Aggregation(typeof(Everything))]
        [Where(nameof(Everything.L))]
        [SessionWindow(Gap = "1m")]
        [AllowedLateness("1h30m")]
        [Emit(EmitMode.Final)]              // OverWide windows its rows: Final, or KRN0027
        public partial struct Wide
        {
            [Key] public bool L;
            [Key] public char O;
            [Key] public Level M;
            [Key(nameof(Everything.A))] public long KeyA;
            [Key(nameof(Everything.H))] public ulong KeyH;
            [WindowStart] public long Start;
            [WindowEnd] public long End;
            [Sum(nameof(Everything.B))] public int SumB;
            [Sum(nameof(Everything.F))] public ulong SumF;
            [Sum(nameof(Everything.I))] public double SumI;
            [Sum(nameof(Everything.K))] public decimal SumK;
            [Sum(nameof(Everything.Computed))] public long SumComputed;
            [Min(nameof(Everything.C))] public short MinC;
            [Max(nameof(Everything.D))] public float MaxD;
            [Min(nameof(Everything.J))] public double MinJ;
            [Max(nameof(Everything.K))] public decimal MaxK;
            [Avg(nameof(Everything.E))] public float AvgE;
            [Avg(nameof(Everything.K))] public decimal AvgK;
            [Count] public double CountD;
            [First(nameof(Everything.N))] public DateTimeOffset FirstN;
            [Last(nameof(Everything.M))] public Level LastM;
            [Last(nameof(Everything.At))] public DateTime LastAt;
            public int NotAggregated { get; set; }
        }

        [Aggregation(typeof(Wide))]
        [TumblingWindow("1d")]
        public partial struct OverWide
        {
            [Key(nameof(Wide.M))] public Level Level;
            [Max(nameof(Wide.SumComputed))] public long Best;
        }
        """;

    [Fact]
    public void EverySupportedType_CompilesWithoutWarnings()
    {
        var run = GeneratorHarness.RunGenerator(Source);
        // The only generator diagnostics are the expected KRN0020 warnings for the char columns of the event and the row.
        var ids = run.GeneratorDiagnostics.Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture).Split(" is not")[0]).OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "KRN0020 'Everything.O' of type 'char'", "KRN0020 'Wide.O' of type 'char'" }, ids);
        Assert.True(run.CompilerDiagnostics.IsEmpty, string.Join("\n", run.CompilerDiagnostics));
        Assert.Contains("Wide.Wide.Aggregation.g.cs", run.Generated.Keys);
        Assert.Contains("Wide.OverWide.Aggregation.g.cs", run.Generated.Keys);
        Assert.Contains("Wide.Everything.JsonLines.g.cs", run.Generated.Keys);
        Assert.Contains("Wide.Wide.Csv.g.cs", run.Generated.Keys);
    }
}

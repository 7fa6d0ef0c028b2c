namespace Kernel.Tests.Generators;

/// <summary>
/// docs/sketches.md and docs/diagnostics.md: [DistinctCount] hashes integers, bool, char, enums, DateTime (by Ticks) and
/// DateTimeOffset (by UtcTicks). Every declaration elsewhere counts a long; this one counts every other accepted kind,
/// and the generated code must compile cleanly (session 24's audit).
/// </summary>
public sealed class DistinctCountKindsS24Tests
{
    private const string Source = """
        using System;
        using Kernel;

        namespace Kinds;

        public enum Tier : byte { Low, High }

        [StreamEvent]
        public partial struct Visit
        {
            public long Shop; public sbyte A; public byte B; public short C; public ushort D; public int E; public uint F;
            public ulong H; public bool L; public Tier M; public DateTimeOffset N; public char O;
            [EventTime] public DateTime At;
        }

        [Aggregation(typeof(Visit))]
        public partial struct Reach
        {
            [Key] public long Shop;
            [DistinctCount(nameof(Visit.A))] public long A;
            [DistinctCount(nameof(Visit.B))] public long B;
            [DistinctCount(nameof(Visit.C))] public long C;
            [DistinctCount(nameof(Visit.D))] public long D;
            [DistinctCount(nameof(Visit.E))] public long E;
            [DistinctCount(nameof(Visit.F))] public long F;
            [DistinctCount(nameof(Visit.H))] public long H;
            [DistinctCount(nameof(Visit.L))] public long L;
            [DistinctCount(nameof(Visit.M))] public long M;
            [DistinctCount(nameof(Visit.N))] public long N;
            [DistinctCount(nameof(Visit.O))] public long O;
            [DistinctCount(nameof(Visit.At))] public long At;
        }
        """;

    [Fact]
    public void DistinctCount_OverEveryAcceptedKind_CompilesCleanly()
    {
        var run = GeneratorHarness.RunGenerator(Source);
        // The only generator diagnostic is KRN0020 for the event's char column, which the CSV/JSON codecs leave out.
        Assert.Equal(["KRN0020"], run.GeneratorDiagnostics.Select(d => d.Id));
        Assert.True(run.CompilerDiagnostics.IsEmpty, string.Join("\n", run.CompilerDiagnostics));
        var code = run.Generated["Kinds.Reach.Aggregation.g.cs"];
        Assert.Contains("UtcTicks", code, StringComparison.Ordinal);   // DateTimeOffset counts the instant, not the local clock
        Assert.Contains(".Ticks", code, StringComparison.Ordinal);
    }
}

using Kernel.Sketches;

namespace Kernel.Tests.Sketches;

public sealed class SketchRandomTests
{
    [Fact]
    public void NextBounded_IsUniform_ChiSquare()
    {
        // 10 cells, 100,000 draws (10,000 expected each); a bound that is not a power of two
        // exercises the rejection step.
        var random = new SketchRandom(17);
        var counts = new long[10];
        for (var i = 0; i < 100_000; i++) counts[random.NextBounded(10)]++;
        var chi = SketchStatistics.ChiSquare(counts, 10_000);
        Assert.True(chi < SketchStatistics.Critical9, $"chi-square {chi:F1} ≥ {SketchStatistics.Critical9} (df 9, α 0.001), seed 17");
    }

    [Fact]
    public void NextOpenDouble_StaysInsideTheOpenInterval_WithMeanOneHalf()
    {
        var random = new SketchRandom(0);
        var sum = 0.0;
        const int n = 1_000_000;
        for (var i = 0; i < n; i++)
        {
            var u = random.NextOpenDouble();
            Assert.True(u is > 0 and < 1, $"draw {i} = {u}");
            sum += u;
        }
        // Standard error of the mean: sqrt(1/12 / n) ≈ 2.9e-4; allow 4 of them.
        Assert.InRange(sum / n, 0.5 - 1.2e-3, 0.5 + 1.2e-3);
    }

    [Fact]
    public void State_RoundTrips_AndZeroStateIsRefused()
    {
        var a = new SketchRandom(99);
        a.NextUInt64();
        a.GetState(out var s0, out var s1, out var s2, out var s3);
        var b = default(SketchRandom);
        Assert.True(b.TrySetState(s0, s1, s2, s3));
        for (var i = 0; i < 100; i++) Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.False(b.TrySetState(0, 0, 0, 0));
        Assert.NotEqual(new SketchRandom(1).NextUInt64(), new SketchRandom(2).NextUInt64());
    }
}

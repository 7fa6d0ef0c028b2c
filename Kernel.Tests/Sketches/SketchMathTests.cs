using Kernel.Sketches;

namespace Kernel.Tests.Sketches;

public sealed class SketchMathTests
{
    [Theory]
    [InlineData(1e-300)]
    [InlineData(1e-17)]
    [InlineData(-1e-12)]
    [InlineData(3e-9)]
    [InlineData(0.25)]
    [InlineData(-0.5)]
    [InlineData(4.0)]
    public void Log1PAndExpm1_MatchTheirSeries(double x)
    {
        // Reference: the Taylor series for tiny |x| (where 1 + x rounds), the plain formula elsewhere.
        var log1p = Math.Abs(x) < 1e-5 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);
        var expm1 = Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;
        // Relative tolerance 1e-14 (a few ulps); the floor keeps it positive for 1e-300.
        Assert.Equal(log1p, SketchMath.Log1P(x), Math.Max(Math.Abs(log1p) * 1e-14, double.Epsilon));
        Assert.Equal(expm1, SketchMath.Expm1(x), Math.Max(Math.Abs(expm1) * 1e-14, double.Epsilon));
    }

    [Theory]
    [InlineData(5, 100)]
    [InlineData(1, 1)]
    [InlineData(1000, 99_000_001)]
    public void Beta_HasTheRightMeanAndVariance(double a, double b)
    {
        // Algorithm L resynchronises W ~ Beta(k, N − k + 1) after a merge; check the first two
        // moments over 40,000 draws (seed 23) to within 4 standard errors.
        const int n = 40_000;
        var random = new SketchRandom(23);
        double sum = 0, sumSquares = 0;
        for (var i = 0; i < n; i++)
        {
            var x = SketchMath.Beta(ref random, a, b);
            Assert.True(x is > 0 and < 1, $"draw {i} = {x}");
            sum += x;
            sumSquares += x * x;
        }
        var mean = a / (a + b);
        var variance = a * b / ((a + b) * (a + b) * (a + b + 1));
        var sampleMean = sum / n;
        var sampleVariance = sumSquares / n - sampleMean * sampleMean;
        Assert.True(Math.Abs(sampleMean - mean) <= 4 * Math.Sqrt(variance / n), $"Beta({a},{b}): mean {sampleMean:G6} vs {mean:G6}");
        // The variance of the sample variance is below 2σ⁴/n·(1 + kurtosis excess); 15 % is several of its standard errors here.
        Assert.True(Math.Abs(sampleVariance - variance) <= 0.15 * variance, $"Beta({a},{b}): variance {sampleVariance:G6} vs {variance:G6}");
    }

    [Fact]
    public void GeometricSkip_HasMeanOneMinusPOverP()
    {
        var random = new SketchRandom(31);
        const double p = 0.01;
        const int n = 200_000;
        double sum = 0;
        for (var i = 0; i < n; i++) sum += SketchMath.GeometricSkip(ref random, p);
        var mean = (1 - p) / p;                       // 99 failures before the first success
        var sd = Math.Sqrt((1 - p) / (p * p)) / Math.Sqrt(n);
        Assert.True(Math.Abs(sum / n - mean) <= 4 * sd, $"mean skip {sum / n:F3} vs {mean:F3} (seed 31)");
        Assert.Equal(0, SketchMath.GeometricSkip(ref random, 1.0));
    }
}

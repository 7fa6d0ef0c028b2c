namespace Kernel.Tests.Sketches;

/// <summary>Pearson's chi-square statistic and the critical values the sketch tests use.</summary>
internal static class SketchStatistics
{
    /// <summary>Σ (observed − expected)² / expected.</summary>
    public static double ChiSquare(ReadOnlySpan<long> observed, ReadOnlySpan<double> expected)
    {
        var sum = 0.0;
        for (var i = 0; i < observed.Length; i++)
        {
            var d = observed[i] - expected[i];
            sum += d * d / expected[i];
        }
        return sum;
    }

    /// <summary>Σ (observed − e)² / e with the same expectation e in every cell.</summary>
    public static double ChiSquare(ReadOnlySpan<long> observed, double expected)
    {
        var sum = 0.0;
        foreach (var o in observed)
        {
            var d = o - expected;
            sum += d * d / expected;
        }
        return sum;
    }

    // Upper 0.1 % points of the chi-square distribution (α = 0.001), from standard tables
    // (df 999 by the Wilson–Hilferty approximation). Inclusion counts are less variable than
    // multinomial cells (each is binomial with p = k/N and their sum is fixed), so using the
    // plain chi-square(df = cells − 1) critical value is conservative: a correct sampler fails
    // less often than α, a biased one still shows.
    public const double Critical5 = 20.52;
    public const double Critical7 = 24.32;
    public const double Critical9 = 27.88;
    public const double Critical14 = 36.12;
    public const double Critical49 = 85.35;
    public const double Critical999 = 1143.0;
}

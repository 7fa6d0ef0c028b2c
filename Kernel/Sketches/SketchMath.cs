namespace Kernel.Sketches;

/// <summary>
/// Numeric helpers the samplers need and the framework lacks: accurate log(1+x) and exp(x)−1
/// near zero, and Gamma/Beta variates used to resynchronise Algorithm L after a merge.
/// </summary>
internal static class SketchMath
{
    /// <summary>log(1 + x), accurate for tiny |x| (Goldberg's correction of the rounded 1 + x).</summary>
    public static double Log1P(double x)
    {
        var u = 1.0 + x;
        if (u == 1.0)
            return x;
        return Math.Log(u) * x / (u - 1.0);
    }

    /// <summary>exp(x) − 1, accurate for tiny |x| (Kahan's correction).</summary>
    public static double Expm1(double x)
    {
        var u = Math.Exp(x);
        if (u == 1.0)
            return x;
        var um1 = u - 1.0;
        if (um1 == -1.0)
            return -1.0;
        return um1 * x / Math.Log(u);
    }

    /// <summary>
    /// The number of failures before the first success of a Bernoulli(<paramref name="p"/>) trial,
    /// drawn with one uniform: floor(log U / log(1 − p)). Saturates instead of overflowing.
    /// </summary>
    public static long GeometricSkip(ref SketchRandom random, double p)
    {
        if (p >= 1.0)
            return 0;
        var skip = Math.Floor(Math.Log(random.NextOpenDouble()) / Log1P(-p));
        return skip >= 4.0e18 || double.IsNaN(skip) ? (long)4.0e18 : (long)skip;
    }

    /// <summary>A standard normal variate (Marsaglia's polar method; discards the second value).</summary>
    public static double Normal(ref SketchRandom random)
    {
        while (true)
        {
            var u = 2.0 * random.NextOpenDouble() - 1.0;
            var v = 2.0 * random.NextOpenDouble() - 1.0;
            var s = u * u + v * v;
            if (s is > 0.0 and < 1.0)
                return u * Math.Sqrt(-2.0 * Math.Log(s) / s);
        }
    }

    /// <summary>A Gamma(<paramref name="shape"/>, 1) variate for shape ≥ 1 (Marsaglia and Tsang, 2000).</summary>
    public static double Gamma(ref SketchRandom random, double shape)
    {
        var d = shape - 1.0 / 3.0;
        var c = 1.0 / Math.Sqrt(9.0 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(ref random);
                v = 1.0 + c * x;
            }
            while (v <= 0.0);
            v = v * v * v;
            var u = random.NextOpenDouble();
            if (u < 1.0 - 0.0331 * x * x * x * x)
                return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1.0 - v + Math.Log(v)))
                return d * v;
        }
    }

    /// <summary>A Beta(<paramref name="a"/>, <paramref name="b"/>) variate for a, b ≥ 1, as X/(X+Y) of two Gammas.</summary>
    public static double Beta(ref SketchRandom random, double a, double b)
    {
        var x = Gamma(ref random, a);
        var y = Gamma(ref random, b);
        return x / (x + y);
    }
}

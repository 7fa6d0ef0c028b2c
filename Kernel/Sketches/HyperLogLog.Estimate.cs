namespace Kernel.Sketches;

public sealed partial class HyperLogLog
{
    // α∞ = 1 / (2 ln 2): the limit of HLL's bias constant as m grows; Ertl's estimator uses it for every m.
    private const double AlphaInfinity = 0.7213475204444817;

    /// <summary>The estimated number of distinct items, rounded.</summary>
    public long Count() => (long)Math.Round(Estimate());

    /// <summary>
    /// The estimated number of distinct items (Ertl's improved estimator over the register
    /// histogram). O(m) when dense; when sparse, O(entries) after deduplicating them.
    /// </summary>
    public double Estimate()
    {
        Span<int> histogram = stackalloc int[66];
        histogram.Clear();
        if (_registers is { } registers)
        {
            foreach (var r in registers)
                histogram[r]++;
            return Ertl(histogram, 64 - _precision, RegisterCount);
        }
        Compact();
        foreach (var entry in _sparse.AsSpan(0, _sparseCount))
            histogram[(int)(entry & SparseRankMask)]++;
        const int sparseRegisters = 1 << SparsePrecision;
        histogram[0] = sparseRegisters - _sparseCount;
        return Ertl(histogram, 64 - SparsePrecision, sparseRegisters);
    }

    /// <summary>
    /// Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017), the improved
    /// raw estimator: histogram[k] = registers with value k, for k in [0, q+1], q = 64 − p.
    /// </summary>
    internal static double Ertl(ReadOnlySpan<int> histogram, int q, int m)
    {
        double mm = m;
        var z = mm * Tau(1.0 - histogram[q + 1] / mm);
        for (var k = q; k >= 1; k--)
            z = 0.5 * (z + histogram[k]);
        z += mm * Sigma(histogram[0] / mm);
        return AlphaInfinity * mm * mm / z;
    }

    /// <summary>σ(x) = x + Σ_{k≥1} x^(2^k) 2^(k−1): corrects for registers still 0 (diverges at x = 1, the empty sketch).</summary>
    private static double Sigma(double x)
    {
        if (x == 1.0)
            return double.PositiveInfinity;
        var y = 1.0;
        var z = x;
        double previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (z != previous);
        return z;
    }

    /// <summary>τ(x) = (1/3)(1 − x − Σ_{k≥1} (1 − x^(2^−k))² 2^−k): corrects for registers at the maximum rank.</summary>
    private static double Tau(double x)
    {
        if (x == 0.0 || x == 1.0)
            return 0.0;
        var y = 1.0;
        var z = 1.0 - x;
        double previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            var d = 1.0 - x;
            z -= d * d * y;
        }
        while (z != previous);
        return z / 3.0;
    }
}

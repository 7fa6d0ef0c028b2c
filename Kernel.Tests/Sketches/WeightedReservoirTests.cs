using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class WeightedReservoirTests
{
    private static readonly double[] s_weights = [1, 2, 3, 4, 5, 6, 7, 8];

    /// <summary>
    /// Exact inclusion probabilities of successive sampling (draw ∝ weight, without replacement)
    /// with k = 2: πᵢ = pᵢ + Σ_{j≠i} pⱼ · wᵢ / (W − wⱼ).
    /// </summary>
    private static double[] InclusionK2(double[] w)
    {
        var total = w.Sum();
        var pi = new double[w.Length];
        for (var i = 0; i < w.Length; i++)
        {
            pi[i] = w[i] / total;
            for (var j = 0; j < w.Length; j++)
                if (j != i) pi[i] += w[j] / total * w[i] / (total - w[j]);
        }
        return pi;
    }

    [Fact]
    public void SingleSlot_PicksInProportionToWeight()
    {
        // k = 1: item i is picked with probability wᵢ/Σw exactly. 36,000 trials, weights 1..8.
        const int trials = 36_000;
        var counts = new long[s_weights.Length];
        for (var trial = 0; trial < trials; trial++)
        {
            var r = new WeightedReservoir<int>(1, (ulong)trial);
            for (var i = 0; i < s_weights.Length; i++) r.Add(i, s_weights[i]);
            counts[r.Items[0]]++;
        }
        var expected = s_weights.Select(w => trials * w / 36.0).ToArray();
        var chi = SketchStatistics.ChiSquare(counts, expected);
        Assert.True(chi < SketchStatistics.Critical7, $"chi-square {chi:F1} ≥ {SketchStatistics.Critical7} (df 7, α 0.001), seeds 0..{trials - 1}");
    }

    [Fact]
    public void TwoSlots_MatchSuccessiveSamplingInclusion()
    {
        // k = 2 over 8 items: 6 items arrive after the fill and go through the exponential jumps.
        const int trials = 40_000;
        var counts = new long[s_weights.Length];
        for (var trial = 0; trial < trials; trial++)
        {
            var r = new WeightedReservoir<int>(2, 10_000_000UL + (ulong)trial);
            r.AddRange([0, 1, 2, 3, 4, 5, 6, 7], s_weights);
            foreach (var item in r.Items) counts[item]++;
        }
        var expected = InclusionK2(s_weights).Select(p => p * trials).ToArray();
        var chi = SketchStatistics.ChiSquare(counts, expected);
        Assert.True(chi < SketchStatistics.Critical7, $"chi-square {chi:F1} ≥ {SketchStatistics.Critical7} (df 7, α 0.001), seeds 1e7+0..{trials - 1}");
    }

    [Fact]
    public void Merge_MatchesSuccessiveSamplingOverTheUnion()
    {
        const int trials = 40_000;
        var counts = new long[s_weights.Length];
        for (var trial = 0; trial < trials; trial++)
        {
            var left = new WeightedReservoir<int>(2, 2UL * (ulong)trial);
            var right = new WeightedReservoir<int>(2, 2UL * (ulong)trial + 1);
            for (var i = 0; i < 5; i++) left.Add(i, s_weights[i]);
            for (var i = 5; i < 8; i++) right.Add(i, s_weights[i]);
            left.Merge(right);
            Assert.Equal(8, left.Seen);
            foreach (var item in left.Items) counts[item]++;
        }
        var expected = InclusionK2(s_weights).Select(p => p * trials).ToArray();
        var chi = SketchStatistics.ChiSquare(counts, expected);
        Assert.True(chi < SketchStatistics.Critical7, $"chi-square {chi:F1} ≥ {SketchStatistics.Critical7} (df 7, α 0.001), seeds 2t, 2t+1 for t < {trials}");
    }

    [Fact]
    public void ZeroWeight_IsNeverSampled_BadWeightsAreRejected()
    {
        var r = new WeightedReservoir<int>(4, 1);
        for (var i = 0; i < 1000; i++) r.Add(i, i % 2 == 0 ? 0 : 1);
        Assert.Equal(4, r.Count);
        foreach (var item in r.Items) Assert.Equal(1, item % 2);
        Assert.Equal(1000, r.Seen);
        Assert.Equal(500, r.TotalWeight);
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Add(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Add(1, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Add(1, double.PositiveInfinity));
        Assert.Throws<ArgumentException>(() => r.AddRange([1, 2], [1.0]));
    }

    [Fact]
    public void ExtremeWeights_KeepPrecision()
    {
        // Log keys: a 1e300-weight item beats 1e-300-weight ones every time.
        for (ulong seed = 0; seed < 200; seed++)
        {
            var r = new WeightedReservoir<int>(1, seed);
            for (var i = 0; i < 50; i++) r.Add(i, i == 17 ? 1e300 : 1e-300);
            Assert.True(r.Items[0] == 17, $"seed {seed}");
        }
    }

    [Fact]
    public void Snapshot_RoundTrips_AndContinuesIdentically()
    {
        var original = new WeightedReservoir<long>(16, 3);
        for (var i = 0; i < 3000; i++) original.Add(i, 1 + i % 7);
        var bytes = new byte[original.SnapshotSize];
        original.WriteSnapshot(bytes);
        var restored = new WeightedReservoir<long>(16, 12345);
        restored.RestoreSnapshot(bytes);
        for (var i = 3000; i < 9000; i++)
        {
            original.Add(i, 1 + i % 5);
            restored.Add(i, 1 + i % 5);
        }
        Assert.Equal(original.Items.ToArray(), restored.Items.ToArray());
        Assert.Equal(original.LogKeys.ToArray(), restored.LogKeys.ToArray());
        bytes[^1] ^= 0x80;
        Assert.Contains("crc32c", Assert.Throws<InvalidDataException>(() => restored.RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adds_AllocateNothing()
    {
        var r = new WeightedReservoir<long>(1000, 5);
        var items = new long[4096];
        var weights = new double[4096];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = i;
            weights[i] = 1 + i % 13;
        }
        void Run()
        {
            for (var round = 0; round < 50; round++)
            {
                r.AddRange(items, weights);
                r.Add(round, 2.5);
            }
        }
        Run();
        var allocated = Allocations.SteadyState(() =>
        {
            Run();
        });
        Assert.Equal(0, allocated);
    }
}

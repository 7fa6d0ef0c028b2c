using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class ReservoirTests
{
    public enum Feed { RSingle, RBatch, LSingle, LBatch, Mixed }

    private static void Offer(Reservoir<int> reservoir, Feed feed, int from, int to, int batch)
    {
        switch (feed)
        {
            case Feed.RSingle:
                for (var i = from; i < to; i++) reservoir.AddR(i);
                break;
            case Feed.LSingle:
                for (var i = from; i < to; i++) reservoir.Add(i);
                break;
            case Feed.RBatch or Feed.LBatch:
                Span<int> buffer = stackalloc int[batch];
                for (var start = from; start < to; start += batch)
                {
                    var n = Math.Min(batch, to - start);
                    for (var j = 0; j < n; j++) buffer[j] = start + j;
                    if (feed == Feed.RBatch) reservoir.AddRangeR(buffer[..n]);
                    else reservoir.AddRange(buffer[..n]);
                }
                break;
            case Feed.Mixed:
                // Alternate algorithms every few items: each switch to L redraws its threshold.
                for (var i = from; i < to; i++)
                {
                    if ((i / 3) % 2 == 0) reservoir.AddR(i);
                    else reservoir.Add(i);
                }
                break;
        }
    }

    [Theory]
    [InlineData(Feed.RSingle, 1)]
    [InlineData(Feed.RBatch, 7)]
    [InlineData(Feed.LSingle, 1)]
    [InlineData(Feed.LBatch, 7)]
    [InlineData(Feed.LBatch, 64)]
    [InlineData(Feed.Mixed, 1)]
    public void Inclusion_IsUniform_ChiSquare(Feed feed, int batch)
    {
        // N = 50 items, k = 5, 20,000 seeded trials: each item expected 2,000 times.
        const int n = 50, k = 5, trials = 20_000;
        var counts = new long[n];
        for (var trial = 0; trial < trials; trial++)
        {
            var reservoir = new Reservoir<int>(k, (ulong)trial);
            Offer(reservoir, feed, 0, n, batch);
            Assert.Equal(k, reservoir.Count);
            foreach (var item in reservoir.Items) counts[item]++;
        }
        var chi = SketchStatistics.ChiSquare(counts, trials * (double)k / n);
        Assert.True(chi < SketchStatistics.Critical49, $"{feed}/{batch}: chi-square {chi:F1} ≥ {SketchStatistics.Critical49} (df 49, α 0.001), seeds 0..{trials - 1}");
    }

    [Theory]
    [InlineData(Feed.RBatch, 64)]
    [InlineData(Feed.LBatch, 64)]
    [InlineData(Feed.LSingle, 1)]
    public void Inclusion_LongStream_IsUniform(Feed feed, int batch)
    {
        // N = 1,000, k = 10, 5,000 trials: each item expected 50 times; gaps span many batches.
        const int n = 1000, k = 10, trials = 5000;
        var counts = new long[n];
        for (var trial = 0; trial < trials; trial++)
        {
            var reservoir = new Reservoir<int>(k, 1_000_000UL + (ulong)trial);
            Offer(reservoir, feed, 0, n, batch);
            foreach (var item in reservoir.Items) counts[item]++;
        }
        var chi = SketchStatistics.ChiSquare(counts, trials * (double)k / n);
        Assert.True(chi < SketchStatistics.Critical999, $"{feed}: chi-square {chi:F1} ≥ {SketchStatistics.Critical999} (df 999, α 0.001), seeds 1e6+0..{trials - 1}");
    }

    [Theory]
    [InlineData(Feed.RSingle)]
    [InlineData(Feed.LSingle)]
    [InlineData(Feed.LBatch)]
    public void Subsets_AreEquallyLikely_ChiSquare(Feed feed)
    {
        // N = 6, k = 2: 15 pairs, 30,000 trials, each pair expected 2,000 times. Stronger than
        // inclusion: a sampler with correlated slots passes inclusion but fails here.
        const int n = 6, trials = 30_000;
        var counts = new long[15];
        for (var trial = 0; trial < trials; trial++)
        {
            var reservoir = new Reservoir<int>(2, 7_000_000UL + (ulong)trial);
            Offer(reservoir, feed, 0, n, 4);
            counts[PairIndex(reservoir.Items[0], reservoir.Items[1], n)]++;
        }
        var chi = SketchStatistics.ChiSquare(counts, trials / 15.0);
        Assert.True(chi < SketchStatistics.Critical14, $"{feed}: chi-square {chi:F1} ≥ {SketchStatistics.Critical14} (df 14, α 0.001), seeds 7e6+0..{trials - 1}");
    }

    private static int PairIndex(int a, int b, int n)
    {
        if (a > b) (a, b) = (b, a);
        var index = 0;
        for (var i = 0; i < a; i++) index += n - 1 - i;
        return index + (b - a - 1);
    }

    [Theory]
    [InlineData(30, 20)]
    [InlineData(45, 5)]
    [InlineData(3, 47)]
    [InlineData(2, 2)]
    public void Merge_IsUniformOverTheUnion(int n1, int n2)
    {
        const int k = 5, trials = 20_000;
        var n = n1 + n2;
        var counts = new long[n];
        for (var trial = 0; trial < trials; trial++)
        {
            var left = new Reservoir<int>(k, 3UL * (ulong)trial);
            var right = new Reservoir<int>(k, 3UL * (ulong)trial + 1);
            Offer(left, Feed.LBatch, 0, n1, 8);
            Offer(right, Feed.LSingle, n1, n, 1);
            left.Merge(right);
            Assert.Equal(n, left.Seen);
            Assert.Equal(Math.Min(k, n), left.Count);
            foreach (var item in left.Items) counts[item]++;
        }
        var chi = SketchStatistics.ChiSquare(counts, trials * (double)Math.Min(k, n) / n);
        // df = n − 1; for n = 4 every item is always kept (chi 0); for n = 50 the df-49 value applies.
        Assert.True(chi < SketchStatistics.Critical49, $"merge {n1}+{n2}: chi-square {chi:F1} ≥ {SketchStatistics.Critical49}, seeds 3t and 3t+1 for t < {trials}");
    }

    [Fact]
    public void Merge_ThenContinue_IsUniformOverEverything()
    {
        // After a merge Algorithm L redraws its threshold from Beta(k, N−k+1); items offered
        // afterwards must still be kept with probability k/N.
        const int k = 5, trials = 20_000;
        var counts = new long[50];
        for (var trial = 0; trial < trials; trial++)
        {
            var left = new Reservoir<int>(k, 5UL * (ulong)trial);
            var right = new Reservoir<int>(k, 5UL * (ulong)trial + 1);
            Offer(left, Feed.LSingle, 0, 15, 1);
            Offer(right, Feed.LSingle, 15, 30, 1);
            left.Merge(right);
            Offer(left, Feed.LBatch, 30, 50, 6);
            foreach (var item in left.Items) counts[item]++;
        }
        var chi = SketchStatistics.ChiSquare(counts, trials * (double)k / 50);
        Assert.True(chi < SketchStatistics.Critical49, $"chi-square {chi:F1} ≥ {SketchStatistics.Critical49}, seeds 5t, 5t+1 for t < {trials}");
    }

    [Fact]
    public void AlgorithmL_DrawsOnlyPerReplacement_AboutKLogNOverK()
    {
        // A uniform reservoir replaces item i > k with probability k/i, so over N items it makes
        // k(H_N − H_k) ≈ k ln(N/k) replacements; L spends three draws on each and none on the
        // rest. N = 10^6 in 4,096-item batches, k = 100: about 921 replacements against 10^6 draws
        // for R. The mean over 20 seeds must be within 5 % (its standard error is about 0.7 %).
        const int k = 100, n = 1_000_000, seeds = 20;
        var expected = 0.0;
        for (var i = k + 1; i <= n; i++) expected += (double)k / i;
        var batch = new long[4096];
        long total = 0;
        for (var seed = 0; seed < seeds; seed++)
        {
            var r = new Reservoir<long>(k, 500UL + (ulong)seed);
            for (var start = 0; start < n; start += batch.Length)
                r.AddRange(batch.AsSpan(0, Math.Min(batch.Length, n - start)));
            Assert.Equal(n, r.Seen);
            total += r.ReplacementsL;
        }
        var mean = total / (double)seeds;
        Assert.True(Math.Abs(mean - expected) <= 0.05 * expected, $"mean replacements {mean:F1}, expected {expected:F1} (seeds 500..{500 + seeds - 1})");
    }

    [Fact]
    public void Merge_RejectsSelfAndTooSmallOther()
    {
        var a = new Reservoir<int>(10, 1);
        Assert.Throws<ArgumentException>(() => a.Merge(a));
        var small = new Reservoir<int>(3, 2);
        Offer(small, Feed.LSingle, 0, 100, 1);
        var ex = Assert.Throws<ArgumentException>(() => a.Merge(small));
        Assert.Contains("capacity 10", ex.Message, StringComparison.Ordinal);
        var smallButComplete = new Reservoir<int>(3, 3);
        Offer(smallButComplete, Feed.LSingle, 0, 3, 1);
        a.Merge(smallButComplete); // holds all it saw: fine
        Assert.Equal(3, a.Count);
    }

    [Theory]
    [InlineData(Feed.LSingle)]
    [InlineData(Feed.RBatch)]
    [InlineData(Feed.Mixed)]
    public void SameSeed_SameSample(Feed feed)
    {
        var a = new Reservoir<int>(16, 42);
        var b = new Reservoir<int>(16, 42);
        Offer(a, feed, 0, 10_000, 32);
        Offer(b, feed, 0, 10_000, 32);
        Assert.Equal(a.Items.ToArray(), b.Items.ToArray());
    }

    [Fact]
    public void Batching_DoesNotChangeTheSample()
    {
        // The same seed makes the same choices whether items arrive one by one or in batches of
        // any size, so replaying a journal with a different batching reproduces the sample.
        var single = new Reservoir<int>(32, 77);
        var batched = new Reservoir<int>(32, 77);
        var singleR = new Reservoir<int>(32, 78);
        var batchedR = new Reservoir<int>(32, 78);
        Offer(single, Feed.LSingle, 0, 50_000, 1);
        Offer(batched, Feed.LBatch, 0, 50_000, 333);
        Offer(singleR, Feed.RSingle, 0, 50_000, 1);
        Offer(batchedR, Feed.RBatch, 0, 50_000, 333);
        Assert.Equal(single.Items.ToArray(), batched.Items.ToArray());
        Assert.Equal(singleR.Items.ToArray(), batchedR.Items.ToArray());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(5000)]
    public void Snapshot_RoundTrips_AndContinuesIdentically(int before)
    {
        var original = new Reservoir<long>(16, 99);
        for (var i = 0; i < before; i++) original.Add(i);
        var bytes = new byte[original.SnapshotSize];
        Assert.Equal(bytes.Length, original.WriteSnapshot(bytes));
        var restored = Reservoir<long>.FromSnapshot(bytes);
        Assert.Equal(original.Seen, restored.Seen);
        Assert.Equal(original.Items.ToArray(), restored.Items.ToArray());
        for (var i = before; i < before + 20_000; i++)
        {
            original.Add(i);
            restored.Add(i);
        }
        Assert.Equal(original.Items.ToArray(), restored.Items.ToArray());
    }

    [Fact]
    public void Snapshot_Corruption_IsNamed()
    {
        var r = new Reservoir<long>(8, 1);
        for (var i = 0; i < 100; i++) r.Add(i);
        var bytes = new byte[r.SnapshotSize];
        r.WriteSnapshot(bytes);

        var flipped = (byte[])bytes.Clone();
        flipped[40] ^= 1;
        Assert.Contains("crc32c", Assert.Throws<InvalidDataException>(() => Reservoir<long>.FromSnapshot(flipped)).Message, StringComparison.Ordinal);

        var badMagic = (byte[])bytes.Clone();
        badMagic[0] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => Reservoir<long>.FromSnapshot(badMagic)).Message, StringComparison.Ordinal);

        Assert.Contains("length", Assert.Throws<InvalidDataException>(() => Reservoir<long>.FromSnapshot(bytes.AsSpan(0, 30))).Message, StringComparison.Ordinal);

        var ex = Assert.Throws<InvalidDataException>(() => new Reservoir<int>(8, 1).RestoreSnapshot(bytes));
        Assert.Contains("itemSize", ex.Message, StringComparison.Ordinal);
        Assert.Contains("offset 12", ex.Message, StringComparison.Ordinal);

        Assert.Contains("capacity", Assert.Throws<InvalidDataException>(() => new Reservoir<long>(9, 1).RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adds_AllocateNothing()
    {
        var r = new Reservoir<long>(1000, 5);
        var batch = new long[4096];
        for (var i = 0; i < batch.Length; i++) batch[i] = i;
        void Run()
        {
            for (var round = 0; round < 50; round++)
            {
                r.AddRange(batch);
                r.AddRangeR(batch);
                for (var i = 0; i < 1000; i++)
                {
                    r.Add(i);
                    r.AddR(i);
                }
            }
        }
        Run(); // warm-up: JIT and tiering
        var allocated = Allocations.SteadyState(() =>
        {
            Run();
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Constructor_RejectsNonPositiveCapacity() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new Reservoir<int>(0, 1));
}

using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class SpaceSavingMergeTests
{
    private static long[] SkewedStream(int seed, int length, int keys)
    {
        var random = new Random(seed);
        var stream = new long[length];
        for (var i = 0; i < length; i++) stream[i] = (long)(keys * Math.Pow(random.NextDouble(), 4));
        return stream;
    }

    /// <summary>
    /// Splits a stream over several parts (a different skew per part, so the parts disagree about
    /// their heavy keys), summarizes each, merges them in a chain and checks the merged summary's
    /// guarantees against the exact counts of the whole stream.
    /// </summary>
    [Theory]
    [InlineData(1, 2, 50)]
    [InlineData(2, 2, 10)]
    [InlineData(3, 4, 100)]
    [InlineData(4, 8, 20)]
    [InlineData(5, 3, 1)]
    public void MergedSummary_KeepsTheGuarantees_OfTheUnion(int seed, int parts, int k)
    {
        const int keys = 5000;
        var truth = new long[keys];
        var merged = new SpaceSaving<long>(k);
        for (var p = 0; p < parts; p++)
        {
            // Each part ranks the keys differently: part p's hot keys are shifted by p·37.
            var stream = SkewedStream(seed * 100 + p, 30_000, keys);
            var part = new SpaceSaving<long>(k);
            foreach (var raw in stream)
            {
                var key = (raw + p * 37) % keys;
                part.Add(key);
                truth[key]++;
            }
            merged.Merge(part);
        }
        var n = merged.Total;
        Assert.Equal(parts * 30_000L, n);
        Assert.True(merged.Count <= k);
        for (var key = 0; key < keys; key++)
        {
            if (merged.TryGetCount(key, out var count, out var error))
            {
                Assert.True(count - error <= truth[key] && truth[key] <= count,
                    $"seed {seed} k {k}: key {key} true {truth[key]} outside [{count - error}, {count}]");
                Assert.True(error <= n / k, $"seed {seed} k {k}: key {key} error {error} > N/k = {n / k}");
            }
            else
            {
                Assert.True(truth[key] <= merged.UnmonitoredBound,
                    $"seed {seed} k {k}: unmonitored key {key} true {truth[key]} > bound {merged.UnmonitoredBound}");
            }
            if (truth[key] * k > n)
                Assert.True(merged.TryGetCount(key, out _, out _), $"seed {seed} k {k}: key {key} with {truth[key]} > N/k is not monitored");
        }
        Assert.True(merged.UnmonitoredBound <= n / k, $"seed {seed} k {k}: bound {merged.UnmonitoredBound} > N/k");
    }

    [Fact]
    public void Merge_OfSummariesThatNeverEvicted_IsExact()
    {
        var a = new SpaceSaving<int>(8);
        var b = new SpaceSaving<int>(8);
        a.Add(1, 5);
        a.Add(2, 3);
        b.Add(2, 4);
        b.Add(3, 1);
        a.Merge(b);
        Assert.Equal(13, a.Total);
        Assert.Equal(3, a.Count);
        Assert.True(a.TryGetCount(1, out var c1, out var e1));
        Assert.True(a.TryGetCount(2, out var c2, out var e2));
        Assert.True(a.TryGetCount(3, out var c3, out var e3));
        Assert.Equal((5L, 0L, 7L, 0L, 1L, 0L), (c1, e1, c2, e2, c3, e3));
        Assert.Equal(0, a.UnmonitoredBound);
    }

    [Fact]
    public void Merge_AddsTheOtherSidesBound_ToKeysItDoesNotMonitor()
    {
        // a: full, keys 1 (10) and 2 (4) — bound 4. b: full, keys 2 (6) and 3 (2) — bound 2.
        var a = new SpaceSaving<int>(2);
        a.Add(1, 10);
        a.Add(2, 4);
        var b = new SpaceSaving<int>(2);
        b.Add(2, 6);
        b.Add(3, 2);
        a.Merge(b);
        // Combined: 1 → (10 + 2, 0 + 2), 2 → (4 + 6, 0), 3 → (2 + 4, 0 + 4); the two largest stay.
        Assert.True(a.TryGetCount(1, out var c1, out var e1));
        Assert.True(a.TryGetCount(2, out var c2, out var e2));
        Assert.False(a.TryGetCount(3, out _, out _));
        Assert.Equal((12L, 2L, 10L, 0L), (c1, e1, c2, e2));
        Assert.Equal(10, a.UnmonitoredBound);
        Assert.Equal(22, a.Total);
    }

    [Fact]
    public void Merge_ThenAdd_ContinuesWithTheGuarantees()
    {
        const int keys = 2000;
        var truth = new long[keys];
        var a = new SpaceSaving<long>(30);
        var b = new SpaceSaving<long>(30);
        foreach (var key in SkewedStream(41, 20_000, keys)) { a.Add(key); truth[key]++; }
        foreach (var key in SkewedStream(42, 20_000, keys)) { b.Add(key); truth[key]++; }
        a.Merge(b);
        foreach (var key in SkewedStream(43, 20_000, keys)) { a.Add(key); truth[key]++; }
        for (var key = 0; key < keys; key++)
        {
            if (a.TryGetCount(key, out var count, out var error))
                Assert.True(count - error <= truth[key] && truth[key] <= count, $"key {key}: true {truth[key]} outside [{count - error}, {count}]");
            else
                Assert.True(truth[key] <= a.UnmonitoredBound, $"key {key}: true {truth[key]} > bound {a.UnmonitoredBound}");
        }
    }

    [Fact]
    public void Merge_RefusesItself_AndAnotherCapacity()
    {
        var a = new SpaceSaving<long>(4);
        Assert.Throws<ArgumentException>(() => a.Merge(a));
        Assert.Contains("equal capacity", Assert.Throws<ArgumentException>(() => a.Merge(new SpaceSaving<long>(5))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_AllocatesNothing_AfterTheFirst()
    {
        var a = new SpaceSaving<long>(100);
        var b = new SpaceSaving<long>(100);
        foreach (var key in SkewedStream(9, 10_000, 5000)) b.Add(key);
        a.Merge(b);
        var allocated = Allocations.SteadyState(() =>
        {
            a.Merge(b);
        });
        Assert.Equal(0, allocated);
    }
}

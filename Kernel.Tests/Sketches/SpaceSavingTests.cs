using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class SpaceSavingTests
{
    private static long[] SkewedStream(int seed, int length, int keys)
    {
        var random = new Random(seed);
        var stream = new long[length];
        for (var i = 0; i < length; i++)
        {
            var u = random.NextDouble();
            stream[i] = (long)(keys * Math.Pow(u, 4));
        }
        return stream;
    }

    [Theory]
    [InlineData(1, 50)]
    [InlineData(2, 100)]
    [InlineData(3, 20)]
    [InlineData(4, 1)]
    public void Guarantees_Hold(int seed, int k)
    {
        const int keys = 5000;
        var stream = SkewedStream(seed, 100_000, keys);
        var summary = new SpaceSaving<long>(k);
        var truth = new long[keys];
        foreach (var key in stream)
        {
            summary.Add(key);
            truth[key]++;
        }
        var n = summary.Total;
        Assert.Equal(stream.Length, n);
        Assert.True(summary.UnmonitoredBound <= n / k, $"seed {seed}: min counter {summary.UnmonitoredBound} > N/k");
        for (var key = 0; key < keys; key++)
        {
            var monitored = summary.TryGetCount(key, out var count, out var error);
            if (truth[key] * k > n)
                Assert.True(monitored, $"seed {seed} k {k}: key {key} with {truth[key]} > N/k = {n / (double)k} is not monitored");
            if (monitored)
            {
                Assert.True(count - error <= truth[key] && truth[key] <= count,
                    $"seed {seed} k {k} key {key}: true {truth[key]} outside [{count - error}, {count}]");
                Assert.True(error <= n / k, $"seed {seed} key {key}: error {error} > N/k");
            }
            else
            {
                Assert.True(truth[key] <= summary.UnmonitoredBound, $"seed {seed} key {key}: unmonitored true {truth[key]} > bound {summary.UnmonitoredBound}");
            }
        }
    }

    [Theory]
    [InlineData(11, 10)]
    [InlineData(12, 5)]
    [InlineData(13, 50)]
    public void GuaranteedEntries_AreInTheTrueTopList(int seed, int top)
    {
        var stream = SkewedStream(seed, 100_000, 5000);
        var summary = new SpaceSaving<long>(100);
        var truth = new Dictionary<long, long>();
        foreach (var key in stream)
        {
            summary.Add(key);
            truth[key] = truth.GetValueOrDefault(key) + 1;
        }
        var entries = new HeavyHitter<long>[top];
        var written = summary.CopyTop(entries);
        Assert.Equal(top, written);
        for (var i = 1; i < written; i++) Assert.True(entries[i - 1].Count >= entries[i].Count, "sorted by count, highest first");
        // The true count of the top-th key: a guaranteed key's true count must be at least it.
        var cutoff = truth.Values.OrderDescending().ElementAt(top - 1);
        var guaranteed = 0;
        foreach (var e in entries)
        {
            if (!e.Guaranteed) continue;
            guaranteed++;
            Assert.True(truth[e.Key] >= cutoff, $"seed {seed}: key {e.Key} marked guaranteed but true {truth[e.Key]} < top-{top} cutoff {cutoff}");
        }
        Assert.True(guaranteed > 0, $"seed {seed}: a skewed stream should certify some of its top {top}");
    }

    [Fact]
    public void WeightedIncrements_AndClear()
    {
        var summary = new SpaceSaving<int>(3);
        summary.Add(1, 10);
        summary.Add(2, 5);
        summary.Add(3, 1);
        summary.Add(4, 2); // evicts 3 (count 1): count 3, error 1
        Assert.False(summary.TryGetCount(3, out _, out _));
        Assert.True(summary.TryGetCount(4, out var count, out var error));
        Assert.Equal((3L, 1L), (count, error));
        Assert.Equal(18, summary.Total);
        var top = new HeavyHitter<int>[3];
        Assert.Equal(3, summary.CopyTop(top));
        Assert.Equal([1, 2, 4], top.Select(e => e.Key));
        Assert.True(top[0].Guaranteed && top[1].Guaranteed && !top[2].Guaranteed);
        summary.Clear();
        Assert.Equal(0, summary.Count);
        Assert.False(summary.TryGetCount(1, out _, out _));
    }

    [Fact]
    public void Add_AllocatesNothing()
    {
        var summary = new SpaceSaving<long>(1000);
        var stream = SkewedStream(7, 50_000, 100_000);
        var top = new HeavyHitter<long>[10];
        void Run()
        {
            foreach (var key in stream) summary.Add(key);
            summary.CopyTop(top);
        }
        Run();
        var allocated = Allocations.SteadyState(() =>
        {
            Run();
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Snapshot_RoundTrips_AndContinuesIdentically()
    {
        var stream = SkewedStream(21, 40_000, 3000);
        var original = new SpaceSaving<long>(64);
        for (var i = 0; i < 20_000; i++) original.Add(stream[i]);
        var bytes = new byte[original.SnapshotSize];
        Assert.Equal(bytes.Length, original.WriteSnapshot(bytes));
        var restored = new SpaceSaving<long>(64);
        restored.Add(999_999, 5); // state to be replaced
        restored.RestoreSnapshot(bytes);
        for (var i = 20_000; i < stream.Length; i++)
        {
            original.Add(stream[i]);
            restored.Add(stream[i]);
        }
        var a = new HeavyHitter<long>[64];
        var b = new HeavyHitter<long>[64];
        Assert.Equal(original.CopyTop(a), restored.CopyTop(b));
        Assert.Equal(original.Total, restored.Total);
        foreach (var entry in a)
        {
            Assert.True(restored.TryGetCount(entry.Key, out var count, out var error));
            Assert.Equal((entry.Count, entry.Error), (count, error));
        }
        Assert.Contains("capacity", Assert.Throws<InvalidDataException>(() => new SpaceSaving<long>(65).RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
        Assert.Contains("keySize", Assert.Throws<InvalidDataException>(() => new SpaceSaving<int>(64).RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
    }
}

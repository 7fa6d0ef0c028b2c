using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class CountMinSketchTests
{
    /// <summary>A skewed stream: key ⌊keys·u³⌋ for uniform u, so small keys are heavy.</summary>
    private static long[] SkewedStream(int seed, int length, int keys)
    {
        var random = new Random(seed);
        var stream = new long[length];
        for (var i = 0; i < length; i++)
        {
            var u = random.NextDouble();
            stream[i] = (long)(keys * u * u * u);
        }
        return stream;
    }

    [Fact]
    public void Dimensions_FollowEpsilonAndDelta()
    {
        var cms = new CountMinSketch(0.001, 0.01);
        Assert.Equal(2719, cms.Width); // ⌈e / 0.001⌉
        Assert.Equal(5, cms.Depth);    // ⌈ln 100⌉
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountMinSketch(0, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CountMinSketch(0.1, 1));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void NeverUnderestimates_AndErrsBeyondEpsilonNAtMostDeltaOfTheTime(int seed)
    {
        const double epsilon = 0.002, delta = 0.01;
        const int keys = 20_000;
        var stream = SkewedStream(seed, 200_000, keys);
        var cms = new CountMinSketch(epsilon, delta, (ulong)seed);
        var truth = new long[keys];
        foreach (var key in stream)
        {
            cms.Add(key);
            truth[key]++;
        }
        Assert.Equal(stream.Length, cms.Total);
        var bound = epsilon * cms.Total;
        var beyond = 0;
        for (var key = 0; key < keys; key++)
        {
            var estimate = cms.Estimate(key);
            Assert.True(estimate >= truth[key], $"seed {seed} key {key}: estimate {estimate} < true {truth[key]}");
            if (estimate - truth[key] > bound) beyond++;
        }
        // Each key errs beyond εN with probability ≤ δ; over 20,000 keys allow δ of them.
        Assert.True(beyond <= delta * keys, $"seed {seed}: {beyond} of {keys} keys err beyond εN = {bound}");
    }

    [Fact]
    public void ConservativeUpdate_IsTighterThanPlainCountMin()
    {
        // Plain Count-Min's estimate for a key is the min over rows of the row sums; the
        // conservative one must be at most that, and strictly tighter in total on a skewed stream.
        var stream = SkewedStream(9, 100_000, 5000);
        var cms = new CountMinSketch(200, 4, 9);
        foreach (var key in stream) cms.Add(key);
        var truth = new long[5000];
        foreach (var key in stream) truth[key]++;
        long conservativeError = 0;
        for (var key = 0; key < 5000; key++) conservativeError += cms.Estimate(key) - truth[key];
        // Plain Count-Min with the same hashing: merging one-item sketches adds counters plainly.
        var plain = new CountMinSketch(200, 4, 9);
        var single = new CountMinSketch(200, 4, 9);
        for (var key = 0; key < 5000; key++)
        {
            if (truth[key] == 0) continue;
            single.Clear();
            single.Add(key, truth[key]);
            plain.Merge(single);
        }
        long plainError = 0;
        for (var key = 0; key < 5000; key++) plainError += plain.Estimate(key) - truth[key];
        Assert.True(conservativeError < plainError, $"conservative total error {conservativeError} not below plain {plainError}");
    }

    [Fact]
    public void Merge_StaysAnUpperBoundOfTheUnion()
    {
        var a = new CountMinSketch(0.01, 0.01, 4);
        var b = new CountMinSketch(0.01, 0.01, 4);
        var truth = new Dictionary<long, long>();
        foreach (var key in SkewedStream(4, 30_000, 3000)) { a.Add(key); truth[key] = truth.GetValueOrDefault(key) + 1; }
        foreach (var key in SkewedStream(5, 30_000, 3000)) { b.Add(key); truth[key] = truth.GetValueOrDefault(key) + 1; }
        a.Merge(b);
        Assert.Equal(60_000, a.Total);
        foreach (var (key, count) in truth)
            Assert.True(a.Estimate(key) >= count, $"key {key}: {a.Estimate(key)} < {count}");
        Assert.Throws<ArgumentException>(() => a.Merge(new CountMinSketch(0.01, 0.01, 5)));
    }

    [Fact]
    public void Add_RejectsNegative_AndAllocatesNothing()
    {
        var cms = new CountMinSketch(0.001, 0.001);
        Assert.Throws<ArgumentOutOfRangeException>(() => cms.Add(1, -1));
        void Run()
        {
            for (var i = 0; i < 100_000; i++) cms.Add(i & 1023, 3);
        }
        Run();
        var allocated = Allocations.SteadyState(() =>
        {
            Run();
        });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Snapshot_RoundTrips_AndMismatchesAreNamed()
    {
        var cms = new CountMinSketch(0.01, 0.01, 8);
        foreach (var key in SkewedStream(8, 10_000, 500)) cms.Add(key);
        var bytes = new byte[cms.SnapshotSize];
        Assert.Equal(bytes.Length, cms.WriteSnapshot(bytes));
        var back = CountMinSketch.FromSnapshot(bytes);
        Assert.Equal(cms.Total, back.Total);
        for (var key = 0; key < 500; key++) Assert.Equal(cms.Estimate(key), back.Estimate(key));
        Assert.Contains("seed", Assert.Throws<InvalidDataException>(() => new CountMinSketch(0.01, 0.01, 9).RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
        Assert.Contains("width", Assert.Throws<InvalidDataException>(() => new CountMinSketch(0.02, 0.01, 8).RestoreSnapshot(bytes)).Message, StringComparison.Ordinal);
        bytes[50] ^= 2;
        Assert.Contains("crc32c", Assert.Throws<InvalidDataException>(() => CountMinSketch.FromSnapshot(bytes)).Message, StringComparison.Ordinal);
    }
}

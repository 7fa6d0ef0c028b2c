using Kernel.Bench.Quick;
using Kernel.Sketches;

namespace Kernel.Bench.Sketches;

/// <summary>
/// Quick mode for the sketches (<c>quick sketches</c>). Cases and baselines:
/// <list type="bullet">
/// <item><c>reservoir-r</c>, <c>reservoir-l</c> (batches) and <c>reservoir-l-item</c> (one Add per
/// item): per-item cost over a 100M-item stream, k = 1,000, fed as 64K-item batches, each against
/// <c>copy-loop</c> (a plain loop copying the same items: the physical floor of touching every item
/// once); <c>reservoir-l</c> is also reported against <c>reservoir-r</c>.</item>
/// <item><c>hll-add</c> (p = 14) against <c>hashset</c> (<c>HashSet&lt;long&gt;</c> distinct count): 10M
/// adds over 1M distinct values, plus the memory of each as metrics.</item>
/// <item><c>topk</c> (SpaceSaving, 1,000 counters, 1M updates over a heavy-tailed stream of up to
/// 1M product ids) against <c>dictionary-sort</c> (exact <c>Dictionary</c> counts, one full sort
/// at the end for the top 10), plus the memory of each.</item>
/// <item><c>topk-leaderboard</c> (exact top 10 of 20,000 products kept incrementally over 1M value
/// changes, up and down) against <c>dictionary-resort</c> (a <c>Dictionary</c> of values, fully
/// sorted at every read); both read the top 10 every 10,000 updates, as a live dashboard would.</item>
/// </list>
/// Event counts are multiplied by <see cref="QuickSettings.Scale"/> (the gate runs at a fraction);
/// the ratios do not depend on it.
/// </summary>
public sealed class SketchesQuickSuite : IQuickSuite
{
    private const string Suite = "sketches";
    private const int BatchSize = 1 << 16;
    private const long StreamLength = 100_000_000;
    private const int SampleSize = 1000;

    /// <inheritdoc />
    public string Name => Suite;

    /// <inheritdoc />
    public void Run(QuickReport report)
    {
        RunReservoirs(report);
        RunHyperLogLog(report);
        RunTopK(report);
        RunLeaderboard(report);
    }

    private static void RunReservoirs(QuickReport report)
    {
        var batch = new long[BatchSize];
        for (var i = 0; i < batch.Length; i++) batch[i] = i * 31L;
        var copy = new long[BatchSize];
        var rounds = (int)QuickSettings.Scaled(StreamLength / BatchSize, minimum: 16);
        var items = (long)rounds * BatchSize;

        Measure.Progress("sketches: copy-loop");
        var floor = Measure.Median(() =>
        {
            for (var round = 0; round < rounds; round++)
            {
                batch[0] = round;
                for (var i = 0; i < batch.Length; i++) copy[i] = batch[i];
            }
        }, items);

        var reservoir = new Reservoir<long>(SampleSize, 1);
        Measure.Progress("sketches: reservoir-r");
        var r = Measure.Median(() =>
        {
            reservoir.Clear();
            for (var round = 0; round < rounds; round++) reservoir.AddRangeR(batch);
        }, items);

        Measure.Progress("sketches: reservoir-l");
        var l = Measure.Median(() =>
        {
            reservoir.Clear();
            for (var round = 0; round < rounds; round++) reservoir.AddRange(batch);
        }, items);

        Measure.Progress("sketches: reservoir-l-item");
        var single = Measure.Median(() =>
        {
            reservoir.Clear();
            for (var round = 0; round < rounds; round++)
            {
                foreach (var item in batch) reservoir.Add(item);
            }
        }, items);

        report.Ratio(Suite, "reservoir-r", r.OpsPerSec, "copy-loop", floor.OpsPerSec, r.AllocBytesPerOp);
        report.Ratio(Suite, "reservoir-l", l.OpsPerSec, "copy-loop", floor.OpsPerSec, l.AllocBytesPerOp);
        report.Ratio(Suite, "reservoir-l", l.OpsPerSec, "reservoir-r", r.OpsPerSec, l.AllocBytesPerOp);
        report.Ratio(Suite, "reservoir-l-item", single.OpsPerSec, "copy-loop", floor.OpsPerSec, single.AllocBytesPerOp);
        report.Ratio(Suite, "reservoir-l-item", single.OpsPerSec, "reservoir-r", r.OpsPerSec, single.AllocBytesPerOp);
        GC.KeepAlive(copy);
    }

    private static void RunHyperLogLog(QuickReport report)
    {
        var adds = (int)QuickSettings.Scaled(10_000_000, minimum: 100_000);
        var distinct = adds / 10;

        var hll = new HyperLogLog(14);
        Measure.Progress("sketches: hll-add");
        var h = Measure.Median(() =>
        {
            hll.Clear();
            for (var i = 0; i < adds; i++) hll.Add((i * 7919L) % distinct);
        }, adds);

        var set = new HashSet<long>();
        Measure.Progress("sketches: hashset");
        var s = Measure.Median(() =>
        {
            set.Clear();
            for (var i = 0; i < adds; i++) set.Add((i * 7919L) % distinct);
        }, adds);

        report.Ratio(Suite, "hll-add", h.OpsPerSec, "hashset", s.OpsPerSec, h.AllocBytesPerOp);
        // In memory: one byte per register once dense (plus the object headers); serialized: 6 bits each.
        report.Metric(Suite, "hll-add", "memory_bytes", hll.RegisterCount, "bytes");
        report.Metric(Suite, "hll-add", "serialized_bytes", hll.SerializedSize, "bytes");
        report.Metric(Suite, "hashset", "memory_bytes", HashSetFootprint(distinct), "bytes");
    }

    /// <summary>The bytes a freshly built <c>HashSet&lt;long&gt;</c> of <paramref name="count"/> values keeps alive.</summary>
    private static double HashSetFootprint(int count) => Footprint(() =>
    {
        var set = new HashSet<long>();
        for (var i = 0; i < count; i++) set.Add(i);
        return set;
    });

    /// <summary>The bytes the object <paramref name="build"/> returns keeps alive (heap growth across full collections).</summary>
    private static double Footprint(Func<object> build)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var built = build();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(built);
        return after - before;
    }

    /// <summary>Product ids with a heavy head: ⌊keys·u⁴⌋, seeded.</summary>
    private static long[] SkewedKeys(int length, int keys, int seed)
    {
        var random = new SketchRandom((ulong)seed);
        var result = new long[length];
        for (var i = 0; i < length; i++)
        {
            var u = random.NextOpenDouble();
            result[i] = (long)(keys * u * u * u * u);
        }
        return result;
    }

    private static void RunTopK(QuickReport report)
    {
        var updates = (int)QuickSettings.Scaled(1_000_000, minimum: 50_000);
        var keys = SkewedKeys(1 << 20, 1_000_000, 3);
        var summary = new SpaceSaving<long>(1000);
        var top = new HeavyHitter<long>[10];
        Measure.Progress("sketches: topk");
        var ss = Measure.Median(() =>
        {
            summary.Clear();
            for (var i = 0; i < updates; i++) summary.Add(keys[i & (keys.Length - 1)]);
            summary.CopyTop(top);
        }, updates);

        var counts = new Dictionary<long, long>();
        Measure.Progress("sketches: dictionary-sort");
        var dict = Measure.Median(() =>
        {
            counts.Clear();
            for (var i = 0; i < updates; i++)
            {
                var key = keys[i & (keys.Length - 1)];
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
            var all = counts.ToArray();
            Array.Sort(all, static (a, b) => b.Value.CompareTo(a.Value));
            GC.KeepAlive(all);
        }, updates);

        report.Ratio(Suite, "topk", ss.OpsPerSec, "dictionary-sort", dict.OpsPerSec, ss.AllocBytesPerOp);
        report.Metric(Suite, "topk", "memory_bytes", Footprint(() => new SpaceSaving<long>(1000)), "bytes");
        report.Metric(Suite, "dictionary-sort", "memory_bytes", Footprint(() =>
        {
            var exact = new Dictionary<long, long>();
            for (var i = 0; i < updates; i++) exact[keys[i & (keys.Length - 1)]] = 1;
            return exact;
        }), "bytes");
    }

    private static void RunLeaderboard(QuickReport report)
    {
        var updates = (int)QuickSettings.Scaled(1_000_000, minimum: 50_000);
        const int products = 20_000;
        const int readEvery = 10_000;
        var keys = SkewedKeys(1 << 20, products, 4);
        var deltas = new long[1 << 20];
        var random = new SketchRandom(5);
        for (var i = 0; i < deltas.Length; i++) deltas[i] = (long)random.NextBounded(10_000) - 1000; // refunds move values down

        var board = new Leaderboard<long, long>(10, products);
        var top = new LeaderboardEntry<long, long>[10];
        Measure.Progress("sketches: topk-leaderboard");
        var lb = Measure.Median(() =>
        {
            board.Clear();
            for (var i = 0; i < updates; i++)
            {
                board.Add(keys[i & (keys.Length - 1)], deltas[i & (deltas.Length - 1)]);
                if (i % readEvery == 0) board.CopyTop(top);
            }
        }, updates);

        var values = new Dictionary<long, long>(products);
        Measure.Progress("sketches: dictionary-resort");
        var dict = Measure.Median(() =>
        {
            values.Clear();
            for (var i = 0; i < updates; i++)
            {
                var key = keys[i & (keys.Length - 1)];
                values[key] = values.GetValueOrDefault(key) + deltas[i & (deltas.Length - 1)];
                if (i % readEvery == 0)
                {
                    var all = values.ToArray();
                    Array.Sort(all, static (a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : a.Key.CompareTo(b.Key));
                    GC.KeepAlive(all);
                }
            }
        }, updates);

        report.Ratio(Suite, "topk-leaderboard", lb.OpsPerSec, "dictionary-resort", dict.OpsPerSec, lb.AllocBytesPerOp);
    }
}

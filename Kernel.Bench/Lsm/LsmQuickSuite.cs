using System.Diagnostics;
using Kernel.Bench.Quick;

namespace Kernel.Bench.Lsm;

/// <summary>
/// <c>quick lsm</c>: 1M keys (16-byte keys, 8-byte values) into our LSM store, ZoneTree and
/// RocksDB (WAL off for both peers), each case measured for all three in the same run.
/// Cases: put-random, put-seq, get-hit, get-miss (after flush + full compaction, block cache
/// warm), scan-prefix (100k keys under one 8-byte prefix, keys/s), reopen (close + open +
/// first get, reopens/s). A peer that cannot run here is reported on stderr and left out.
/// </summary>
public sealed class LsmQuickSuite : IQuickSuite
{
    /// <summary>The suite's records are labelled <c>lsm</c> at the quick size (1M keys), <c>lsm-&lt;keys&gt;</c> otherwise, so a full run never mixes with the gate's figures.</summary>
    private static readonly string Suite = LsmBenchData.Count == 1_000_000 ? "lsm" : "lsm-" + LsmBenchData.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public string Name => "lsm";

    /// <inheritdoc />
    public void Run(QuickReport report)
    {
        var data = new LsmBenchData();
        var root = Path.Combine(Path.GetTempPath(), "kernel-bench-lsm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var results = new Dictionary<(string Engine, string Case), (double Ops, double Alloc)>();
            var metrics = new List<(string Case, string Metric, double Value, string Unit)>();
            // KERNEL_LSM_ENGINES=kernel,zonetree limits the engines (for profiling one of them); the default runs all three.
            var engines = (Environment.GetEnvironmentVariable("KERNEL_LSM_ENGINES") ?? "kernel,zonetree,rocksdb")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            foreach (var name in engines.ToArray())
            {
                try
                {
                    RunEngine(name, data, root, results, metrics);
                    foreach (var ((engine, c), (ops, alloc)) in results.Where(r => r.Key.Engine == name))
                        Measure.Progress($"lsm: {engine,-9} {c,-12} {ops,14:N0} ops/s {alloc,8:F1} B/op");
                }
                catch (Exception e) when (name != "kernel" && e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
                {
                    Measure.Progress($"lsm: peer {name} cannot run on this machine ({e.GetType().Name}: {e.Message}); no figures for it");
                    engines.Remove(name);
                }
            }
            foreach (var c in new[] { "put-random", "put-seq", "get-hit", "get-miss", "scan-prefix", "reopen" })
            {
                if (!results.TryGetValue(("kernel", c), out var mine)) continue;
                var (ops, alloc) = mine;
                foreach (var peer in engines.Where(e => e != "kernel"))
                    report.Ratio(Suite, c, ops, peer, results[(peer, c)].Ops, alloc);
            }
            foreach (var (c, metric, value, unit) in metrics) report.Metric(Suite, c, metric, value, unit);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static ILsmBenchEngine Create(string name, string dir) => name switch
    {
        "kernel" => new KernelLsmEngine(dir),
        "zonetree" => new ZoneTreeEngine(dir),
        _ => new RocksDbEngine(dir),
    };

    private static void RunEngine(string name, LsmBenchData data, string root, Dictionary<(string, string), (double, double)> results,
        List<(string, string, double, string)> metrics)
    {
        Measure.Progress($"lsm: {name}");
        // Random puts, then reads on that store.
        var dirRandom = Path.Combine(root, name + "-random");
        var engine = Create(name, dirRandom);
        try
        {
            results[(name, "put-random")] = TimePuts(engine, data.Random);
            engine.FlushAndCompact();
            var order = data.GetOrder;
            var hits = 0L;
            results[(name, "get-hit")] = Measure.Median(() =>
            {
                foreach (var i in order) if (engine.Get(data.Random, i)) hits++;
            }, LsmBenchData.GetCount, warmups: 1, repeats: 3);
            if (hits != 4L * LsmBenchData.GetCount) throw new InvalidOperationException($"{name}: {hits} hits, expected {4L * LsmBenchData.GetCount}");
            var misses = 0L;
            results[(name, "get-miss")] = Measure.Median(() =>
            {
                foreach (var i in order) if (!engine.Get(data.Misses, i)) misses++;
            }, LsmBenchData.GetCount, warmups: 1, repeats: 3);
            if (misses != 4L * LsmBenchData.GetCount) throw new InvalidOperationException($"{name}: {misses} misses, expected {4L * LsmBenchData.GetCount}");
            if (engine is KernelLsmEngine k)
            {
                var store = k.Store;
                Measure.Progress($"lsm: kernel write amp {store.WriteAmplification:F2}, read amp {store.ReadAmplification:F2}, space amp {store.SpaceAmplification:F2}, {store.BytesOnDisk >> 20} MiB on disk, stalls {store.WriteStalls}");
                metrics.Add(("put-random", "write_amplification", store.WriteAmplification, "x"));
                metrics.Add(("get-hit", "read_amplification", store.ReadAmplification, "tables/get"));
                metrics.Add(("put-random", "space_amplification", store.SpaceAmplification, "x"));
                metrics.Add(("put-random", "bytes_on_disk", store.BytesOnDisk, "bytes"));
                var sw = Stopwatch.StartNew();
                store.Checkpoint(Path.Combine(root, "kernel-checkpoint"));
                metrics.Add(("checkpoint", "checkpoint_ms", sw.Elapsed.TotalMilliseconds, "ms"));
            }
        }
        finally
        {
            engine.Dispose();
        }
        // Sequential puts, then prefix scans and reopen on that store.
        var dirSeq = Path.Combine(root, name + "-seq");
        engine = Create(name, dirSeq);
        try
        {
            results[(name, "put-seq")] = TimePuts(engine, data.Sequential);
            engine.FlushAndCompact();
            var scanned = 0L;
            var group = 0UL;
            results[(name, "scan-prefix")] = Measure.Median(() => scanned += engine.ScanPrefix(group++ % 10),
                LsmBenchData.PrefixKeys, warmups: 2, repeats: 5);
            if (scanned != 7L * LsmBenchData.PrefixKeys) throw new InvalidOperationException($"{name}: scanned {scanned} keys, expected {7L * LsmBenchData.PrefixKeys}");
            results[(name, "reopen")] = Measure.Median(() => engine.Reopen(data.Sequential), 1, warmups: 1, repeats: 3);
        }
        finally
        {
            engine.Dispose();
        }
    }

    private static (double, double) TimePuts(ILsmBenchEngine engine, byte[] keys)
    {
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < LsmBenchData.Count; i++) engine.Put(keys, i);
        sw.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (LsmBenchData.Count / sw.Elapsed.TotalSeconds, allocated / (double)LsmBenchData.Count);
    }
}

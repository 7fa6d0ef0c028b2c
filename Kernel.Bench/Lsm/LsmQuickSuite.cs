using System.Diagnostics;
using Kernel.Bench.Quick;

namespace Kernel.Bench.Lsm;

/// <summary>
/// <c>quick lsm</c>: 1M keys (16-byte keys, 8-byte values) into our LSM store, ZoneTree and
/// RocksDB (WAL off for both peers), each case measured for all three in the same run, the
/// read cases and reopen with the engines' samples interleaved.
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
        s_clock = Stopwatch.StartNew();
        var data = new LsmBenchData();
        var root = Path.Combine(Path.GetTempPath(), "kernel-bench-lsm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            var results = new Dictionary<(string Engine, string Case), (double Ops, double Alloc)>();
            var metrics = new List<(string Case, string Metric, double Value, string Unit)>();
            // KERNEL_LSM_ENGINES=kernel,zonetree limits the engines (for profiling one of them); the default runs all three.
            var names = (Environment.GetEnvironmentVariable("KERNEL_LSM_ENGINES") ?? "kernel,zonetree,rocksdb")
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            RunCases(names, data, root, results, metrics);
            foreach (var ((engine, c), (ops, alloc)) in results.OrderBy(r => r.Key.Engine, StringComparer.Ordinal))
                Measure.Progress($"lsm: {engine,-9} {c,-12} {ops,14:N0} ops/s {alloc,8:F1} B/op");
            foreach (var c in new[] { "put-random", "put-seq", "get-hit", "get-miss", "scan-prefix", "reopen" })
            {
                if (!results.TryGetValue(("kernel", c), out var mine)) continue;
                var (ops, alloc) = mine;
                foreach (var peer in names.Where(e => e != "kernel"))
                    if (results.TryGetValue((peer, c), out var theirs)) report.Ratio(Suite, c, ops, peer, theirs.Ops, alloc);
            }
            foreach (var (c, metric, value, unit) in metrics) report.Metric(Suite, c, metric, value, unit);
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    private static Stopwatch s_clock = new();

    /// <summary>A progress line with the seconds since the suite started (where the gate's time goes).</summary>
    private static void Progress(string message) => Measure.Progress($"lsm: {s_clock.Elapsed.TotalSeconds,6:F1} s {message}");

    private static ILsmBenchEngine Create(string name, string dir) => name switch
    {
        "kernel" => new KernelLsmEngine(dir),
        "zonetree" => new ZoneTreeEngine(dir),
        _ => new RocksDbEngine(dir),
    };

    /// <summary>Opens one store per engine that can run here (a peer that cannot is reported and dropped from <paramref name="names"/>).</summary>
    private static List<ILsmBenchEngine> OpenAll(List<string> names, string root, string suffix)
    {
        var engines = new List<ILsmBenchEngine>();
        foreach (var name in names.ToArray())
        {
            try
            {
                engines.Add(Create(name, Path.Combine(root, name + suffix)));
            }
            catch (Exception e) when (name != "kernel" && e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
            {
                Measure.Progress($"lsm: peer {name} cannot run on this machine ({e.GetType().Name}: {e.Message}); no figures for it");
                names.Remove(name);
            }
        }
        return engines;
    }

    /// <summary>
    /// Every case for every engine. Puts run one engine after the other (one long pass each, so
    /// that no engine's background work runs in another's timing); the read cases and reopen
    /// alternate the engines sample by sample, so a change of load on the shared machine falls
    /// on all of them alike and the ratios of one run stay comparable (one engine's whole run
    /// after the other's measured the load, not the stores: ratios moved 2x between runs).
    /// </summary>
    private static void RunCases(List<string> names, LsmBenchData data, string root, Dictionary<(string, string), (double, double)> results,
        List<(string, string, double, string)> metrics)
    {
        // Random puts, then reads on those stores.
        var engines = OpenAll(names, root, "-random");
        try
        {
            foreach (var engine in engines)
            {
                Progress($"{engine.Name} put-random");
                results[(engine.Name, "put-random")] = TimePuts(engine, data.Random);
                engine.FlushAndCompact();
                Progress($"{engine.Name} compacted");
            }
            var order = data.GetOrder;
            var gets = engines.Select(e => GetsPerPass(e.Name)).ToArray();
            var hits = new long[engines.Count];
            Interleaved(engines, "get-hit", (engine, k) =>
            {
                foreach (var i in order.AsSpan(0, gets[k])) if (engine.Get(data.Random, i)) hits[k]++;
            }, gets, warmups: 1, repeats: 5, collect: false, results);
            var misses = new long[engines.Count];
            Interleaved(engines, "get-miss", (engine, k) =>
            {
                foreach (var i in order.AsSpan(0, gets[k])) if (!engine.Get(data.Misses, i)) misses[k]++;
            }, gets, warmups: 1, repeats: 5, collect: false, results);
            for (var k = 0; k < engines.Count; k++)
            {
                if (hits[k] != 6L * gets[k]) throw new InvalidOperationException($"{engines[k].Name}: {hits[k]} hits, expected {6L * gets[k]}");
                if (misses[k] != 6L * gets[k]) throw new InvalidOperationException($"{engines[k].Name}: {misses[k]} misses, expected {6L * gets[k]}");
            }
            foreach (var engine in engines)
            {
                if (engine is not KernelLsmEngine k) continue;
                var store = k.Store;
                Measure.Progress($"lsm: kernel write amp {store.WriteAmplification:F2}, read amp {store.ReadAmplification:F2}, space amp {store.SpaceAmplification:F2}, {store.BytesOnDisk >> 20} MiB on disk, stalls {store.WriteStalls}");
                metrics.Add(("put-random", "write_amplification", store.WriteAmplification, "x"));
                metrics.Add(("get-hit", "read_amplification", store.ReadAmplification, "tables/get"));
                metrics.Add(("put-random", "space_amplification", store.SpaceAmplification, "x"));
                metrics.Add(("put-random", "bytes_on_disk", store.BytesOnDisk, "bytes"));
                // The median of five checkpoints (each into a new directory): one is a few ms, mostly
                // the manifest's fsync, and a single one measured whichever write of another process
                // the disk was busy with (2-16 ms at the gate's scale on the shared machine).
                var times = new double[5];
                for (var c = 0; c < times.Length; c++)
                {
                    var sw = Stopwatch.StartNew();
                    store.Checkpoint(Path.Combine(root, "kernel-checkpoint-" + c.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                    times[c] = sw.Elapsed.TotalMilliseconds;
                }
                Array.Sort(times);
                metrics.Add(("checkpoint", "checkpoint_ms", times[times.Length / 2], "ms"));
            }
        }
        finally
        {
            foreach (var engine in engines) engine.Dispose();
        }
        // Sequential puts, then prefix scans and reopen on those stores.
        engines = OpenAll(names, root, "-seq");
        try
        {
            foreach (var engine in engines)
            {
                Progress($"{engine.Name} put-seq");
                results[(engine.Name, "put-seq")] = TimePuts(engine, data.Sequential);
                engine.FlushAndCompact();
                Progress($"{engine.Name} compacted");
            }
            var scanned = new long[engines.Count];
            var groups = new ulong[engines.Count];
            Interleaved(engines, "scan-prefix", (engine, k) => scanned[k] += engine.ScanPrefix(groups[k]++ % 10),
                Same(engines.Count, LsmBenchData.PrefixKeys), warmups: 2, repeats: 7, collect: false, results);
            for (var k = 0; k < engines.Count; k++)
                if (scanned[k] != 9L * LsmBenchData.PrefixKeys) throw new InvalidOperationException($"{engines[k].Name}: scanned {scanned[k]} keys, expected {9L * LsmBenchData.PrefixKeys}");
            // Reopen: one takes a few milliseconds, so a sample is ReopensPerSample of them, after a
            // full collection (the garbage of the earlier cases, or a reopen's own, must not be
            // collected inside another engine's sample). Single-reopen samples spread 3-12x.
            var reopens = engines.Select(e => ReopensPerSample(e.Name)).ToArray();
            Interleaved(engines, "reopen", (engine, k) =>
            {
                for (var i = 0; i < reopens[k]; i++) engine.Reopen(data.Sequential);
            }, reopens, warmups: 1, repeats: 5, collect: true, results);
        }
        finally
        {
            foreach (var engine in engines) engine.Dispose();
        }
        Progress("done");
    }

    /// <summary>Reopens per sample: 10; RocksDB's take ~10x ours, so at the gate's scale it does 3 (its samples still last the longest).</summary>
    private static int ReopensPerSample(string engine) => QuickSettings.Scale < 1 && engine == "rocksdb" ? 3 : 10;

    /// <summary>
    /// Gets per timed pass of one engine: every key (1M) in quick mode; at the gate's scale a
    /// share of them (the store and its 1M keys stay the same, so the figures stay comparable;
    /// only the samples are shorter). RocksDB, 3-5x slower per get through its binding, then
    /// does a quarter of the others' gets, so that its samples last about as long as theirs:
    /// its passes were 26 of the gate's ~50 s for this suite. A rate is ops over time, so the
    /// ratio does not depend on the count; the keys are the same shuffled order's first ones.
    /// </summary>
    private static int GetsPerPass(string engine)
    {
        if (QuickSettings.Scale >= 1) return LsmBenchData.GetCount;
        var n = (int)QuickSettings.Scaled(LsmBenchData.GetCount, minimum: 100_000);
        return engine == "rocksdb" ? n / 4 : n;
    }

    private static int[] Same(int engines, int ops) => Enumerable.Repeat(ops, engines).ToArray();

    /// <summary>
    /// Runs <paramref name="run"/> for each engine in turn, <paramref name="repeats"/> rounds (after
    /// <paramref name="warmups"/>), and records each engine's median rate and least allocation per op.
    /// </summary>
    private static void Interleaved(List<ILsmBenchEngine> engines, string caseName, Action<ILsmBenchEngine, int> run, int[] opsPerRun,
        int warmups, int repeats, bool collect, Dictionary<(string, string), (double, double)> results)
    {
        Progress(caseName);
        for (var w = 0; w < warmups; w++)
            for (var k = 0; k < engines.Count; k++) run(engines[k], k);
        var rates = new double[engines.Count][];
        var alloc = new double[engines.Count];
        for (var k = 0; k < engines.Count; k++)
        {
            rates[k] = new double[repeats];
            alloc[k] = double.MaxValue;
        }
        for (var r = 0; r < repeats; r++)
        {
            for (var k = 0; k < engines.Count; k++)
            {
                if (collect)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    GC.Collect();
                }
                var before = GC.GetTotalAllocatedBytes(precise: true);
                var start = Stopwatch.GetTimestamp();
                run(engines[k], k);
                var elapsed = Stopwatch.GetElapsedTime(start);
                var after = GC.GetTotalAllocatedBytes(precise: true);
                rates[k][r] = opsPerRun[k] / elapsed.TotalSeconds;
                alloc[k] = Math.Min(alloc[k], (after - before) / (double)opsPerRun[k]);
            }
        }
        for (var k = 0; k < engines.Count; k++)
        {
            Array.Sort(rates[k]);
            results[(engines[k].Name, caseName)] = (rates[k][repeats / 2], alloc[k]);
        }
    }

    private static (double, double) TimePuts(ILsmBenchEngine engine, byte[] keys)
    {
        // The garbage of the engine before (or of the data set) must not be collected in this pass.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < LsmBenchData.Count; i++) engine.Put(keys, i);
        sw.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        return (LsmBenchData.Count / sw.Elapsed.TotalSeconds, allocated / (double)LsmBenchData.Count);
    }
}

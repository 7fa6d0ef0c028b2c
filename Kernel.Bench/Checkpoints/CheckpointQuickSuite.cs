using System.Diagnostics;
using Kernel.Bench.EndToEnd;
using Kernel.Bench.Quick;
using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Ring;
using Kernel.Time;

namespace Kernel.Bench.Checkpoints;

/// <summary>
/// Quick mode <c>checkpoint</c>, on the headline query (revenue per day per product):
/// <list type="bullet">
/// <item><c>pause</c>: the hot-path pause of a barrier (what the operator's thread does at it: capture
/// its changes for an incremental checkpoint, seal its sinks) with 1M keys in state and 10k of them
/// updated since the last barrier, p50/p99 over many barriers, each followed by the whole checkpoint
/// (changes into the LSM store, its checkpoint, the manifest), whose median time, bytes and keys are
/// reported too.</item>
/// <item><c>recovery</c>: restoring that 1M-key state from its checkpoint (LSM copy and metadata), and a durable
/// pipeline's start on a data directory (checkpoint load and journal replay).</item>
/// <item><c>replay</c>: events per second fed from the journal through the operator at that start (the median of three
/// starts, and the first of them alone: in <c>quick checkpoint-replay</c>, a process that ran nothing before, the
/// one a recovering service sees).</item>
/// <item><c>replay-keyed</c>: the same through a keyed operator (one running row per product), three starts after
/// the windowed ones, so only the keyed fold loop is still cold at its first.</item>
/// <item><c>throughput-with-checkpoints</c> against <c>no-checkpoints</c>: the durable pipeline
/// (journal, operator) with a checkpoint every second against the same pipeline with none, over
/// the same stream for the same wall time, alternating runs.</item>
/// </list>
/// </summary>
public sealed class CheckpointQuickSuite : IQuickSuite
{
    private const string Suite = "checkpoint";
    private const int StateKeys = 1_000_000;
    private const int DirtyKeys = 10_000;
    private const int Barriers = 200;
    private const ulong LayoutFingerprint = 0xBE4C_C4E0_0000_0001UL;

    /// <inheritdoc/>
    public string Name => Suite;

    /// <inheritdoc/>
    public void Run(QuickReport report) => InScratchDirectory(Suite, root =>
    {
        Pause(report, root);
        Recovery(report, root);
        Throughput(report, root);
    });

    /// <summary>Runs <paramref name="cases"/> in a fresh temporary directory named after <paramref name="name"/>, deleted afterwards.</summary>
    internal static void InScratchDirectory(string name, Action<string> cases)
    {
        var root = Path.Combine(Path.GetTempPath(), "kernel-bench-" + name + "-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            cases(root);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static WindowedAggregator<HeadlineOrder, long, DailyProductRevenue.State, DailyProductRevenue, DailyProductRevenue.Spec> NewOperator(TotalsSink sink, int capacity, IControlListener? control = null) =>
        new(sink, null, new WindowOptions { Clock = SystemClock.Instance, InitialCapacity = capacity, PreallocatedWindows = 2, Control = control });

    internal static void Pause(QuickReport report, string root, bool restore = true)
    {
        var keys = (int)QuickSettings.Scaled(StateKeys, 10_000);
        var dirty = Math.Min(DirtyKeys, keys);
        // Each barrier is followed by a whole checkpoint (fsyncs): fewer of them in the gate's short runs.
        var barriers = (int)QuickSettings.Scaled(Barriers, 50);
        var day = 1_700_000_000_000L / HeadlineData.Day * HeadlineData.Day;
        var participant = new OperatorParticipant("daily");
        var op = NewOperator(new TotalsSink(), keys * 2, participant);
        participant.Bind(op);
        // As a durable pipeline runs it: incremental checkpoints into an LSM store, each one completed
        // (changes written, store checkpointed, manifest) before the next barrier.
        participant.EnableIncremental(Path.Combine(root, "pause-state"));
        var store = new CheckpointStore(Path.Combine(root, "pause"));
        var coordinator = new CheckpointCoordinator(store);
        coordinator.Register(participant);
        var fill = new HeadlineOrder[keys];
        for (var i = 0; i < keys; i++) fill[i] = new HeadlineOrder { OrderId = i, ProductId = i, PriceCents = 100, Quantity = 1, TimestampMs = day + 1_000 };
        op.Apply(fill);
        var rng = new Random(7);
        var updates = new HeadlineOrder[dirty];
        var pauses = new double[barriers];
        var durations = new double[barriers];
        var bytes = new double[barriers];
        var written = new double[barriers];
        var gcs = new int[barriers];
        var cpu = new double[barriers];
        var compacting = new bool[barriers];
        var writeAllocated = new double[barriers];
        var faults = new long[barriers];
        var switches = new long[barriers];
        var reserves = new double[barriers];
        var loopCpu = TimeSpan.Zero;
        var gen2 = 0;
        for (var b = -5; b < barriers; b++)
        {
            if (b == 0)
            {
                loopCpu = Process.GetCurrentProcess().TotalProcessorTime;
                gen2 = GC.CollectionCount(2);
            }
            for (var i = 0; i < dirty; i++) updates[i] = new HeadlineOrder { ProductId = rng.Next(keys), PriceCents = 100, Quantity = 1, TimestampMs = day + 2_000 };
            op.Apply(updates);
            // Reserving the id also has the participant map the pages its capture will fill
            // (IBarrierPreparation): on the injecting thread, before the barrier, so not in the pause.
            var reserveStart = Stopwatch.GetTimestamp();
            var id = coordinator.ReserveCheckpointId();
            var reserved = Stopwatch.GetElapsedTime(reserveStart);
            var compactions = participant.StoreCompactions;
            var collections = GC.CollectionCount(0);
            var usage = OsThread.ThreadUsage();
            var cpuStart = OsThread.CpuNanoseconds();
            var start = Stopwatch.GetTimestamp();
            participant.OnBarrier(id, 0);
            var elapsed = Stopwatch.GetElapsedTime(start);
            var cpuNs = OsThread.CpuNanoseconds() - cpuStart;
            var usageEnd = OsThread.ThreadUsage();
            collections = GC.CollectionCount(0) - collections;
            var result = coordinator.OnBarrierInjectedAsync(id, 0, CancellationToken.None).GetAwaiter().GetResult();
            if (result.Outcome != CheckpointOutcome.Completed) throw new InvalidOperationException($"checkpoint: checkpoint {id} did not complete: {result.Failure}");
            if (b < 0) continue;   // the first capture is full (the store is empty); the rest warm up
            // A compaction finished between the barrier and the end of its checkpoint: it ran during the
            // barrier (the store compacts on its own thread; a flush waits for it only when level 0 is full).
            compacting[b] = participant.StoreCompactions > compactions;
            pauses[b] = elapsed.TotalMicroseconds;
            faults[b] = usageEnd.MinorFaults - usage.MinorFaults + usageEnd.MajorFaults - usage.MajorFaults;
            switches[b] = usageEnd.Voluntary - usage.Voluntary + usageEnd.Involuntary - usage.Involuntary;
            reserves[b] = reserved.TotalMicroseconds;
            gcs[b] = collections;
            cpu[b] = cpuNs / 1_000.0;
            durations[b] = result.Stats.Duration.TotalMilliseconds;
            bytes[b] = result.Stats.BytesWritten;
            written[b] = result.Stats.KeysWritten;
            writeAllocated[b] = participant.LastWriteAllocatedBytes;
        }
        // The whole process's CPU per barrier + checkpoint (capture, encode, store write, flush, fsyncs,
        // compactions, GC): on a shared machine the wall times above include time off the CPU; this does not.
        var cpuPerCheckpoint = (Process.GetCurrentProcess().TotalProcessorTime - loopCpu).TotalMilliseconds / barriers;
        gen2 = GC.CollectionCount(2) - gen2;
        Array.Sort(writeAllocated);
        // How many of the slowest 1% of barriers had a collection run during them (a pause the capture did not cause).
        var slowestBarriers = pauses.Select((p, i) => (p, i)).OrderByDescending(x => x.p).Take(Math.Max(1, barriers / 100)).ToArray();
        var slowest = slowestBarriers.Count(x => gcs[x.i] > 0);
        var overlapped = slowestBarriers.Count(x => compacting[x.i]);
        var compactingCpu = cpu.Where((_, i) => compacting[i]).DefaultIfEmpty().Average();
        var quietCpu = cpu.Where((_, i) => !compacting[i]).DefaultIfEmpty().Average();
        // Wall time against the thread's CPU time of the slowest barriers: the difference is time off the CPU.
        var split = OsThread.IsSupported
            ? "; slowest barriers wall/CPU " + string.Join(", ", slowestBarriers.Select(x => $"{x.p:F0}/{cpu[x.i]:F0} us")) + $", CPU p50 {cpu.Order().ElementAt(barriers / 2):F0} us p99 {cpu.Order().ElementAt(barriers * 99 / 100):F0} us"
            : "";
        // Page faults (guest-visible: fresh or reclaimed memory) and context switches (time off the CPU)
        // of the operator's thread during each barrier; the slowest barriers' counts first. A fault of the
        // VM's shadow page tables is invisible here: it shows as CPU time without a fault.
        var faultSplit = OsThread.IsSupported
            ? $"; page faults over all barriers {faults.Sum()} (in {faults.Count(f => f > 0)} barriers), slowest barriers' faults/switches " + string.Join(", ", slowestBarriers.Select(x => $"{faults[x.i]}/{switches[x.i]}")) + $", {switches.Count(w => w > 0)} barriers switched out"
            : "";
        Array.Sort(reserves);
        Array.Sort(pauses);
        Array.Sort(durations);
        Array.Sort(bytes);
        Array.Sort(written);
        Measure.Progress($"checkpoint: process CPU per checkpoint {cpuPerCheckpoint:F1} ms; the state store's write allocated {writeAllocated[barriers / 2] / 1_048_576:F2} MiB per checkpoint (p50); {gen2} gen-2 collections over the {barriers} checkpoints");
        Measure.Progress($"checkpoint: pause over {barriers} barriers, {op.StateEntries:N0} entries, {dirty:N0} dirty: p50 {pauses[barriers / 2]:F0} us, p90 {pauses[barriers * 9 / 10]:F0} us, p99 {pauses[barriers * 99 / 100]:F0} us, max {pauses[^1]:F0} us; checkpoint p50 {durations[barriers / 2]:F1} ms, {bytes[barriers / 2]:N0} B, {written[barriers / 2]:N0} keys; {slowest} of the slowest {Math.Max(1, barriers / 100)} barriers saw a GC, {overlapped} ran beside a compaction of the store ({compacting.Count(c => c)} of all; mean CPU {compactingCpu:F0} us beside one, {quietCpu:F0} us without){split}{faultSplit}; reserving the id (with the capture's prefault, on the injecting thread) p50 {reserves[barriers / 2]:F0} us p99 {reserves[barriers * 99 / 100]:F0} us");
        report.Metric(Suite, "pause", "p50_us", pauses[barriers / 2], "us");
        report.Metric(Suite, "pause", "p99_us", pauses[barriers * 99 / 100], "us");
        report.Metric(Suite, "pause", "checkpoint_ms", durations[barriers / 2], "ms");
        report.Metric(Suite, "pause", "checkpoint_bytes", bytes[barriers / 2], "B");
        report.Metric(Suite, "pause", "checkpoint_keys", written[barriers / 2], "keys");
        if (!restore)
        {
            participant.CloseStore();
            return;
        }

        // Restore of that state by a new operator: the LSM checkpoint replaces a store, is scanned and loaded.
        var last = coordinator.LastCompletedCheckpointId;
        var context = new CheckpointRestoreContext(store.ReadManifest(last), store.GetCheckpointDirectory(last));
        participant.CloseStore();
        var restores = new double[5];
        for (var r = 0; r < restores.Length; r++)
        {
            var again = new OperatorParticipant("daily");
            var target = NewOperator(new TotalsSink(), keys * 2, again);
            again.Bind(target);
            again.EnableIncremental(Path.Combine(root, "restore-state"));
            var start = Stopwatch.GetTimestamp();
            again.RestoreAsync(context, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            restores[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            again.CloseStore();
            if (target.StateEntries != op.StateEntries) throw new InvalidOperationException("checkpoint: the restored state differs");
        }
        Array.Sort(restores);
        report.Metric(Suite, "recovery", "restore_1m_keys_ms", restores[restores.Length / 2], "ms");

        // What the LSM store alone costs of that restore: the working copy made from the checkpoint,
        // opened, and every entry of the operator's prefix visited (key and value read), nothing decoded.
        var lsmCheckpoint = Path.Combine(store.GetCheckpointDirectory(last), "daily.lsm");
        var scans = new double[5];
        var prefix = System.Text.Encoding.UTF8.GetBytes("daily\0");
        for (var r = 0; r < scans.Length; r++)
        {
            var copy = Path.Combine(root, "scan-" + r);
            var start = Stopwatch.GetTimestamp();
            Kernel.Storage.Lsm.LsmStore.RestoreCheckpoint(lsmCheckpoint, copy);
            using var lsm = Kernel.Storage.Lsm.LsmStore.Open(new Kernel.Storage.Lsm.LsmOptions { Directory = copy, BlockCacheBytes = 8L << 20 });
            long entries = 0, sum = 0;
            using (var it = lsm.CreatePrefixIterator(prefix))
            {
                for (it.SeekToFirst(); it.Valid; it.Next())
                {
                    entries++;
                    sum += it.Key[^1] + it.Value[0];
                }
            }
            scans[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (entries != op.StateEntries) throw new InvalidOperationException($"checkpoint: the LSM scan saw {entries} entries (checksum {sum}), the state has {op.StateEntries}");
        }
        Array.Sort(scans);
        Measure.Progress($"checkpoint: restore of {op.StateEntries:N0} keys: p50 {restores[restores.Length / 2]:F1} ms (min {restores[0]:F1}, max {restores[^1]:F1}); the bare LSM copy, open and prefix scan: p50 {scans[scans.Length / 2]:F1} ms (min {scans[0]:F1}, max {scans[^1]:F1})");
        report.Metric(Suite, "recovery", "lsm_scan_1m_keys_ms", scans[scans.Length / 2], "ms");
    }

    internal static void Recovery(QuickReport report, string root)
    {
        var count = (int)QuickSettings.Scaled(5_000_000, 100_000);
        var orders = HeadlineData.Generate(count);
        var positions = new long[count];
        for (var i = 0; i < count; i++) positions[i] = i;
        var (rates, starts, cpuMs) = Starts(root, "recovery-", dir => Open(dir, TimeSpan.FromHours(1), out _), orders, positions);
        // The first of the three starts: in a process that ran nothing before (`quick checkpoint-replay`)
        // it is what a recovering service sees, the replay's loop not yet through tiered compilation.
        // After the suite's other cases (`quick checkpoint`) that code is already compiled.
        var firstRate = rates[0];
        Array.Sort(rates);
        Array.Sort(starts);
        Array.Sort(cpuMs);
        // The process's CPU time over the start (replay on one thread, plus GC and the journal's threads):
        // on a shared machine the wall time includes time off the CPU; this does not.
        Measure.Progress($"checkpoint: start with {count:N0} journaled orders: {starts[1]:F0} ms, {rates[1]:E3} ev/s; process CPU {cpuMs[1]:F0} ms ({count / (cpuMs[1] / 1_000):E3} ev per CPU-second); the first start {firstRate:E3} ev/s");
        // The same journal through the keyed operator (one running row per product, no windows): its
        // direct loop is another method, so its first start here is still its first (the log reader
        // and the replay loop around it already ran for the windowed starts above).
        var (keyedRates, _, _) = Starts(root, "recovery-keyed-", OpenKeyed, orders, positions);
        var keyedFirst = keyedRates[0];
        Array.Sort(keyedRates);
        Measure.Progress($"checkpoint: keyed operator's start: {keyedRates[1]:E3} ev/s; the first start {keyedFirst:E3} ev/s");
        if (OsThread.IsSupported) ReplayPaths(orders);
        report.Metric(Suite, "recovery", "start_ms", starts[1], "ms");
        report.Metric(Suite, "replay", "events_per_sec", rates[1], "events/s");
        report.Metric(Suite, "replay", "first_start_events_per_sec", firstRate, "events/s");
        report.Metric(Suite, "replay-keyed", "events_per_sec", keyedRates[1], "events/s");
        report.Metric(Suite, "replay-keyed", "first_start_events_per_sec", keyedFirst, "events/s");
    }

    /// <summary>
    /// Three starts of a durable pipeline (<paramref name="open"/>) on a journal of <paramref name="orders"/>
    /// and no checkpoint: per start, the replay's events per second, its wall time and the process's CPU time, in start order.
    /// </summary>
    private static (double[] Rates, double[] Starts, double[] CpuMs) Starts(string root, string prefix, Func<string, PipelineRun> open,
        HeadlineOrder[] orders, long[] positions)
    {
        var rates = new double[3];
        var starts = new double[3];
        var cpuMs = new double[3];
        for (var r = 0; r < rates.Length; r++)
        {
            var dir = Path.Combine(root, prefix + r);
            // Journal every order, checkpoint none (the interval is longer than the run), stop without completing.
            using (var first = open(dir))
            {
                first.Pipeline.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
                first.Pipeline.PublishAsync(orders, positions, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            }
            using var second = open(dir);
            var processCpu = Process.GetCurrentProcess().TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            var recovery = second.Pipeline.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            var elapsed = Stopwatch.GetElapsedTime(start);
            cpuMs[r] = (Process.GetCurrentProcess().TotalProcessorTime - processCpu).TotalMilliseconds;
            if (recovery.EventsReplayed != orders.Length) throw new InvalidOperationException($"checkpoint: replayed {recovery.EventsReplayed} of {orders.Length} journaled orders");
            starts[r] = elapsed.TotalMilliseconds;
            rates[r] = orders.Length / elapsed.TotalSeconds;
        }
        return (rates, starts, cpuMs);
    }

    /// <summary>
    /// The operator's part of replay alone, fed from memory the two ways (ring entries through
    /// OnBatch, the way replay fed it before; the replay feed, through Apply), alternating, on this
    /// thread's CPU clock: a same-process ratio that the load of a shared machine does not skew.
    /// </summary>
    private static void ReplayPaths(HeadlineOrder[] orders)
    {
        const int Batch = 1024;
        var ring = new List<double>();
        var feed = new List<double>();
        var entries = new RingEntry<HeadlineOrder>[Batch];
        for (var r = 0; r < 6; r++)
        {
            var op = NewOperator(new TotalsSink(), HeadlineData.Products * 2);
            var start = OsThread.CpuNanoseconds();
            if (r % 2 == 0)
            {
                for (var at = 0; at < orders.Length; at += Batch)
                {
                    var n = Math.Min(Batch, orders.Length - at);
                    for (var i = 0; i < n; i++) entries[i] = new RingEntry<HeadlineOrder> { Kind = EntryKind.Event, SourceId = 0, Value = at + i, Event = orders[at + i] };
                    op.OnBatch(entries.AsSpan(0, n), at);
                }
            }
            else
            {
                var replay = new Kernel.Journal.JournalReplayFeed<HeadlineOrder>(op, Batch);
                for (var i = 0; i < orders.Length; i++)
                {
                    replay.Add(orders[i], 0, i);
                    if (replay.IsFull) replay.Flush(i + 1 - Batch);
                }
                replay.Flush(orders.Length - replay.Count);
            }
            var ns = OsThread.CpuNanoseconds() - start;
            if (op.EventsSeen != orders.Length) throw new InvalidOperationException($"checkpoint: the operator saw {op.EventsSeen} of {orders.Length} orders");
            (r % 2 == 0 ? ring : feed).Add((double)ns / orders.Length);
        }
        ring.Sort();
        feed.Sort();
        Measure.Progress($"checkpoint: the operator's part of replay, thread CPU per event: ring entries through OnBatch {ring[1]:F1} ns ({string.Join(", ", ring.Select(x => x.ToString("F1")))}), the replay feed through Apply {feed[1]:F1} ns ({string.Join(", ", feed.Select(x => x.ToString("F1")))})");
    }

    private static void Throughput(QuickReport report, string root)
    {
        var seconds = Math.Max(1.0, 4.0 * QuickSettings.Scale);
        var orders = HeadlineData.Generate(1 << 20);
        var with = new List<double>();
        var without = new List<double>();
        List<double> withSteady = [], withoutSteady = [];
        long checkpoints = 0;
        for (var r = 0; r < 6; r++)
        {
            var interval = r % 2 == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromHours(1);
            var dir = Path.Combine(root, "throughput-" + r);
            using var run = Open(dir, interval, out var op);
            run.Pipeline.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            var (rate, steady) = Stream(run.Pipeline, orders, seconds);
            (r % 2 == 0 ? with : without).Add(rate);
            (r % 2 == 0 ? withSteady : withoutSteady).Add(steady);
            if (r % 2 == 0) checkpoints = run.Pipeline.Coordinator.LastCompletedCheckpointId;
            GC.KeepAlive(op);
        }
        with.Sort();
        without.Sort();
        withSteady.Sort();
        withoutSteady.Sort();
        Measure.Progress($"checkpoint: with checkpoints {string.Join(", ", with.Select(x => x.ToString("E3")))}; without {string.Join(", ", without.Select(x => x.ToString("E3")))}; {checkpoints} checkpoints in the last run");
        // The rates above end after CompleteAsync, whose final checkpoint flushes the journal written
        // since the last one: for the run without checkpoints that is all of it (about a second here),
        // while the run with them flushed most of it during the run, off the pipeline's threads. Up to
        // the last publish, the run without checkpoints has flushed nothing: the stricter comparison.
        Measure.Progress($"checkpoint: up to the last publish (before the final checkpoint): with {withSteady[1]:E3}, without {withoutSteady[1]:E3}, {withSteady[1] / withoutSteady[1]:F3}x");
        report.Ratio(Suite, "throughput-with-checkpoints", with[1], "no-checkpoints", without[1], 0);
        // The same runs timed up to the last publish: the stricter reading of the ≤ 5% loss target.
        report.Ratio(Suite, "throughput-to-last-publish", withSteady[1], "no-checkpoints", withoutSteady[1], 0);
    }

    /// <summary>
    /// Publishes the orders again and again, each pass ten days later, for <paramref name="seconds"/> of
    /// wall time; then completes. Returns the rate with the completion and the rate up to the last publish.
    /// </summary>
    private static (double Rate, double UpToLastPublish) Stream(DurablePipeline<HeadlineOrder, OrderTime> pipeline, HeadlineOrder[] orders, double seconds)
    {
        const int Chunk = 1 << 14;
        var buffer = new HeadlineOrder[Chunk];
        var positions = new long[Chunk];
        var shift = HeadlineData.Days * HeadlineData.Day;
        long published = 0;
        var start = Stopwatch.GetTimestamp();
        for (var pass = 0; Stopwatch.GetElapsedTime(start).TotalSeconds < seconds; pass++)
        {
            for (var at = 0; at < orders.Length; at += Chunk)
            {
                var n = Math.Min(Chunk, orders.Length - at);
                for (var i = 0; i < n; i++)
                {
                    buffer[i] = orders[at + i];
                    buffer[i].TimestampMs += pass * shift;
                    positions[i] = published + i;
                }
                pipeline.PublishAsync(buffer.AsMemory(0, n), positions.AsMemory(0, n), CancellationToken.None).AsTask().GetAwaiter().GetResult();
                published += n;
            }
        }
        var upToLastPublish = published / Stopwatch.GetElapsedTime(start).TotalSeconds;
        pipeline.CompleteAsync(CancellationToken.None).GetAwaiter().GetResult();
        return (published / Stopwatch.GetElapsedTime(start).TotalSeconds, upToLastPublish);
    }

    private static PipelineRun Open(string dir, TimeSpan interval, out WindowedAggregator<HeadlineOrder, long, DailyProductRevenue.State, DailyProductRevenue, DailyProductRevenue.Spec> op)
    {
        var participant = new OperatorParticipant("daily");
        op = NewOperator(new TotalsSink(), HeadlineData.Products * 2, participant);
        participant.Bind(op);
        var pipeline = new DurablePipeline<HeadlineOrder, OrderTime>(new DurablePipelineOptions
        {
            DataDirectory = dir, EventLayoutFingerprint = LayoutFingerprint, RingSize = 1 << 16, CheckpointInterval = interval, TruncateJournal = false,
        });
        pipeline.SetOperator("daily", op, participant);
        return new PipelineRun(pipeline);
    }

    private static PipelineRun OpenKeyed(string dir)
    {
        var participant = new OperatorParticipant("totals");
        var op = new KeyedAggregator<HeadlineOrder, long, ProductTotals.State, ProductTotals, ProductTotals.Spec>(HeadlineData.Products * 2, participant);
        participant.Bind(op);
        var pipeline = new DurablePipeline<HeadlineOrder, OrderTime>(new DurablePipelineOptions
        {
            DataDirectory = dir, EventLayoutFingerprint = LayoutFingerprint, RingSize = 1 << 16, CheckpointInterval = TimeSpan.FromHours(1), TruncateJournal = false,
        });
        pipeline.SetOperator("totals", op, participant);
        return new PipelineRun(pipeline);
    }

    private sealed class PipelineRun(DurablePipeline<HeadlineOrder, OrderTime> pipeline) : IDisposable
    {
        public DurablePipeline<HeadlineOrder, OrderTime> Pipeline { get; } = pipeline;

        public void Dispose() => Pipeline.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using Kernel.Bench.Quick;
using Kernel.Ring;

namespace Kernel.Bench.Ring;

/// <summary>
/// Kernel's ring: <c>producers</c> threads publish (one at a time, or in claimed batches), and
/// <c>consumers</c> handlers each see every event (multicast), all on the default wait strategy.
/// </summary>
internal sealed class RingScenario : IThroughputScenario
{
    private readonly RingBuffer<BenchEvent> _ring;
    private readonly RingPipeline<BenchEvent> _pipeline;
    private readonly CountingHandler[] _handlers;
    private readonly WorkerGang _producers;
    private readonly long _perProducer;
    private readonly int _batch;
    private long _target;

    // Per-run diagnostics, per producer (a cache line apart: written by the producer threads):
    // thread CPU time of the run and chunks published while on CPU 0 / in all.
    private const int Stride = 8;
    private readonly long[] _producerCpuNs;
    private readonly long[] _producerChunksOnCpu0;
    private readonly long[] _producerChunks;

    // Events per call of the publishing helpers (see PublishBatch).
    private const int Chunk = 1024;

    /// <param name="producers">Publishing threads (several: a multi-producer ring).</param>
    /// <param name="consumers">Multicast handlers.</param>
    /// <param name="events">Events per run, split evenly between producers.</param>
    /// <param name="batch">1: <c>Publish(in T)</c>; more: claim and publish that many slots at a time.</param>
    /// <param name="producerCpu">CPU to pin producers to, or null.</param>
    /// <param name="consumerCpu">CPU to pin the consumers to, or null.</param>
    /// <param name="ringSize">Slots.</param>
    /// <param name="producerCpuOf">When given, the CPU to pin each producer to (by index), instead of <paramref name="producerCpu"/>.</param>
    public RingScenario(int producers, int consumers, long events, int batch = 1, int? producerCpu = null, int? consumerCpu = null, int ringSize = 16384, Func<int, int?>? producerCpuOf = null)
    {
        _perProducer = events / producers / batch * batch;
        EventsPerRun = _perProducer * producers;
        _batch = batch;
        _ring = new RingBuffer<BenchEvent>(ringSize, producers == 1 ? ProducerType.Single : ProducerType.Multi);
        _pipeline = new RingPipeline<BenchEvent>(_ring)
        {
            ProcessorThreadStarting = _ => CpuAffinity.PinCurrentThread(consumerCpu),
        };
        _handlers = new CountingHandler[consumers];
        for (var i = 0; i < consumers; i++)
        {
            _handlers[i] = new CountingHandler();
            _pipeline.AddHandler(_handlers[i]);
        }
        _pipeline.Start();
        _producerCpuNs = new long[producers * Stride];
        _producerChunksOnCpu0 = new long[producers * Stride];
        _producerChunks = new long[producers * Stride];
        _producers = new WorkerGang(producers, producerCpuOf ?? (_ => producerCpu), Produce);
    }

    public long EventsPerRun { get; }

    public long Checksum => _handlers[0].Sum;

    public void Run()
    {
        _target += EventsPerRun;
        foreach (var h in _handlers)
            h.Arm(_target);
        _producers.Run();
        foreach (var h in _handlers)
            h.Done.Wait();
    }

    private void Produce(int producer)
    {
        var ring = _ring;
        var count = _perProducer;
        var cpuBefore = OsThread.CpuNanoseconds();
        long chunks = 0, onCpu0 = 0;
        if (_batch == 1)
        {
            for (long i = 0; i < count; i += Chunk)
            {
                PublishRun(ring, i, (int)Math.Min(Chunk, count - i));
                chunks++;
                if (OsThread.CurrentCpu() == 0)
                    onCpu0++;
            }
        }
        else
        {
            for (long i = 0; i < count; i += _batch)
                PublishBatch(ring, i, _batch);
        }
        _producerCpuNs[producer * Stride] = OsThread.CpuNanoseconds() - cpuBefore;
        _producerChunks[producer * Stride] = chunks;
        _producerChunksOnCpu0[producer * Stride] = onCpu0;
    }

    /// <summary>
    /// The last run: CPU ns per event spent by the producers (together) and by the first consumer,
    /// and the share of each thread's work done on CPU 0 (producers: per chunk of 1,024 publishes;
    /// consumer: per sampled batch). On 2 CPUs, producers spread over both CPUs contend for the
    /// claim and slot lines on every event; all on one CPU they take turns.
    /// </summary>
    public string DescribeLastRun()
    {
        var sb = new System.Text.StringBuilder();
        long producerNs = 0;
        for (var p = 0; p < _producerCpuNs.Length / Stride; p++)
            producerNs += _producerCpuNs[p * Stride];
        var h = _handlers[0];
        sb.Append(CultureInfo.InvariantCulture, $"cpu ns/ev prod {producerNs / (double)EventsPerRun:F1} cons {h.LastRunCpuNs / (double)EventsPerRun:F1} | on cpu0: P");
        for (var p = 0; p < _producerCpuNs.Length / Stride; p++)
        {
            var chunks = _producerChunks[p * Stride];
            sb.Append(CultureInfo.InvariantCulture, $" {(chunks == 0 ? double.NaN : _producerChunksOnCpu0[p * Stride] / (double)chunks):F2}");
        }
        sb.Append(CultureInfo.InvariantCulture, $" C {(h.LastRunSamples == 0 ? double.NaN : h.LastRunSamplesOnCpu0 / (double)h.LastRunSamples):F2}");
        return sb.ToString();
    }

    // Runs of single publishes, one run per call, for the same reason as PublishBatch.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PublishRun(RingBuffer<BenchEvent> ring, long first, int count)
    {
        for (var i = 0; i < count; i++)
            ring.Publish(new BenchEvent(first + i));
    }

    // One claim per call: called millions of times, this reaches fully optimized (tier-1) code,
    // where the claim's fields live in registers. Not inlined: inside Produce's loop (run a few
    // times, so compiled by on-stack replacement) the claim would stay in memory. The Channels and
    // BlockingCollection helpers are kept out of line the same way.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void PublishBatch(RingBuffer<BenchEvent> ring, long first, int count)
    {
        using var claim = ring.Claim(count);
        for (var j = 0; j < claim.Count; j++)
            claim[j].Event = new BenchEvent(first + j);
        claim.Publish();
    }

    public void Dispose()
    {
        _pipeline.Shutdown(TimeSpan.FromSeconds(10));
        _producers.Dispose();
        foreach (var h in _handlers)
            h.Done.Dispose();
    }

    /// <summary>Sums a field of every event and signals when the armed count is reached.</summary>
    private sealed class CountingHandler : IBatchHandler<BenchEvent>
    {
        private long _count;
        private long _target = long.MaxValue;

        // Diagnostics: the processor thread's CPU time at the end of the last run, that run's
        // share of it, and CPU samples (every SampleEvery-th batch and at the end) on CPU 0.
        private const int SampleEvery = 16;
        private long _cpuAtLastDone = -1;
        private long _batches;
        private long _samples;
        private long _samplesOnCpu0;

        public ManualResetEventSlim Done { get; } = new(false, spinCount: 1);
        public long Sum { get; private set; }
        public long LastRunCpuNs { get; private set; }
        public long LastRunSamples { get; private set; }
        public long LastRunSamplesOnCpu0 { get; private set; }

        public void Arm(long target)
        {
            Done.Reset();
            Volatile.Write(ref _target, target);
        }

        public void OnBatch(ReadOnlySpan<RingEntry<BenchEvent>> entries, long firstSequence)
        {
            var sum = Sum;
            foreach (ref readonly var e in entries)
                sum += e.Event.Value;
            Sum = sum;
            _count += entries.Length;
            var last = _count >= Volatile.Read(ref _target);
            if (++_batches % SampleEvery == 0 || last)
            {
                _samples++;
                if (OsThread.CurrentCpu() == 0)
                    _samplesOnCpu0++;
            }
            if (last)
            {
                // Written before Done.Set, read by the bench thread after Done.Wait.
                var cpu = OsThread.CpuNanoseconds();
                LastRunCpuNs = _cpuAtLastDone < 0 ? 0 : cpu - _cpuAtLastDone;
                _cpuAtLastDone = cpu;
                LastRunSamples = _samples;
                LastRunSamplesOnCpu0 = _samplesOnCpu0;
                _samples = 0;
                _samplesOnCpu0 = 0;
                Done.Set();
            }
        }
    }
}

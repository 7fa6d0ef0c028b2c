using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Kernel.Bench.Ring;

/// <summary>
/// The baseline a .NET user would pick: bounded <see cref="Channel"/>s used the fastest way —
/// <c>TryWrite</c>/<c>TryRead</c>, falling back to <c>WaitToWriteAsync</c>/<c>WaitToReadAsync</c>
/// only when full or empty (blocking the dedicated, possibly pinned, thread on that wait).
/// Multicast (one producer, several consumers) is one channel per consumer, written in turn.
/// Continuations run on the thread pool by default; <c>synchronousContinuations</c> lets the
/// writer (reader) complete the other side's wait inline instead, which is faster when the two
/// threads run on different CPUs (measured: about 10% more events/s and 5–15% less CPU per event
/// split, and a few percent more CPU per event when both share one CPU), so each layout gets its
/// faster setting.
/// </summary>
internal sealed class ChannelScenario : IThroughputScenario
{
    private readonly Channel<BenchEvent>[] _channels;
    private readonly ChannelWriter<BenchEvent>[] _writers;
    private readonly WorkerGang _producers;
    private readonly WorkerGang _consumers;
    private readonly long _perProducer;
    private long _sum;

    private const int Chunk = 1024;

    public ChannelScenario(int producers, int consumers, long events, int? producerCpu = null, int? consumerCpu = null, int capacity = 16384, bool synchronousContinuations = false, Func<int, int?>? producerCpuOf = null)
    {
        if (producers > 1 && consumers > 1)
            throw new ArgumentException("either several producers or several consumers");
        _perProducer = events / producers;
        EventsPerRun = _perProducer * producers;
        _channels = new Channel<BenchEvent>[consumers];
        for (var i = 0; i < consumers; i++)
        {
            _channels[i] = Channel.CreateBounded<BenchEvent>(new BoundedChannelOptions(capacity)
            {
                SingleReader = true,
                SingleWriter = producers == 1,
                FullMode = BoundedChannelFullMode.Wait,
                AllowSynchronousContinuations = synchronousContinuations,
            });
        }
        // Writers looked up once (one consumer: the single-channel loop, no per-event array walk).
        _writers = Array.ConvertAll(_channels, c => c.Writer);
        _consumers = new WorkerGang(consumers, _ => consumerCpu, Consume);
        _producers = new WorkerGang(producers, producerCpuOf ?? (_ => producerCpu), Produce);
    }

    public long EventsPerRun { get; }

    public long Checksum => Volatile.Read(ref _sum);

    public void Run()
    {
        _consumers.Start();
        _producers.Run();
        _consumers.Join();
    }

    private void Produce(int producer)
    {
        var count = _perProducer;
        if (_writers.Length == 1)
        {
            for (long i = 0; i < count; i += Chunk)
                WriteRun(_writers[0], i, (int)Math.Min(Chunk, count - i));
            return;
        }
        for (long i = 0; i < count; i += Chunk)
            WriteRunMulticast(_writers, i, (int)Math.Min(Chunk, count - i));
    }

    // A run of writes per call: called many times, it reaches tier-1 code, like the ring's helpers.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteRun(ChannelWriter<BenchEvent> writer, long first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var item = new BenchEvent(first + i);
            while (!writer.TryWrite(item))
                writer.WaitToWriteAsync().AsTask().Wait();
        }
    }

    // Multicast: each event written to every consumer's channel in turn.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteRunMulticast(ChannelWriter<BenchEvent>[] writers, long first, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var item = new BenchEvent(first + i);
            foreach (var writer in writers)
            {
                while (!writer.TryWrite(item))
                    writer.WaitToWriteAsync().AsTask().Wait();
            }
        }
    }

    private void Consume(int consumer)
    {
        var reader = _channels[consumer].Reader;
        var remaining = EventsPerRun;
        long sum = 0;
        while (remaining > 0)
            remaining -= ReadRun(reader, (int)Math.Min(Chunk, remaining), ref sum);
        Interlocked.Add(ref _sum, sum);
    }

    // Reads exactly count items (waiting when empty); one run per call, for tier-1 code.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ReadRun(ChannelReader<BenchEvent> reader, int count, ref long sum)
    {
        var read = 0;
        while (read < count)
        {
            while (read < count && reader.TryRead(out var item))
            {
                sum += item.Value;
                read++;
            }
            if (read < count)
                reader.WaitToReadAsync().AsTask().Wait();
        }
        return read;
    }

    public void Dispose()
    {
        _producers.Dispose();
        _consumers.Dispose();
    }
}

using System.Runtime.CompilerServices;
using System.Collections.Concurrent;

namespace Kernel.Bench.Ring;

/// <summary>The older baseline: a bounded <see cref="BlockingCollection{T}"/>, one producer (<c>Add</c>), one consumer (<c>Take</c>).</summary>
internal sealed class BlockingCollectionScenario : IThroughputScenario
{
    private readonly BlockingCollection<BenchEvent> _queue;
    private readonly WorkerGang _producer;
    private readonly WorkerGang _consumer;
    private long _sum;

    public BlockingCollectionScenario(long events, int? producerCpu = null, int? consumerCpu = null, int capacity = 16384)
    {
        EventsPerRun = events;
        _queue = new BlockingCollection<BenchEvent>(new ConcurrentQueue<BenchEvent>(), capacity);
        _consumer = new WorkerGang(1, _ => consumerCpu, _ =>
        {
            long sum = 0;
            for (long i = 0; i < EventsPerRun; i += Chunk)
                sum += TakeRun(_queue, (int)Math.Min(Chunk, EventsPerRun - i));
            _sum += sum;
        });
        _producer = new WorkerGang(1, _ => producerCpu, _ =>
        {
            for (long i = 0; i < EventsPerRun; i += Chunk)
                AddRun(_queue, i, (int)Math.Min(Chunk, EventsPerRun - i));
        });
    }

    public long EventsPerRun { get; }

    // Runs per call reach tier-1 code (as the ring's and the channels' helpers do).
    private const int Chunk = 1024;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddRun(BlockingCollection<BenchEvent> queue, long first, int count)
    {
        for (var i = 0; i < count; i++)
            queue.Add(new BenchEvent(first + i));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long TakeRun(BlockingCollection<BenchEvent> queue, int count)
    {
        long sum = 0;
        for (var i = 0; i < count; i++)
            sum += queue.Take().Value;
        return sum;
    }

    public long Checksum => _sum;

    public void Run()
    {
        _consumer.Start();
        _producer.Run();
        _consumer.Join();
    }

    public void Dispose()
    {
        _producer.Dispose();
        _consumer.Dispose();
        _queue.Dispose();
    }
}

using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>A 24-byte event, the size the ring benchmarks use.</summary>
internal struct TestEvent
{
    public long Producer;
    public long Number;
    public long Payload;

    public TestEvent(long producer, long number, long payload = 0)
    {
        Producer = producer;
        Number = number;
        Payload = payload;
    }
}

/// <summary>
/// Records every entry it is handed (into preallocated arrays, so recording does not allocate)
/// and the sequence of each, and completes <see cref="Reached"/> when <c>expected</c> entries arrived.
/// </summary>
internal sealed class RecordingHandler : IBatchHandler<TestEvent>
{
    private readonly int _expected;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RecordingHandler(int expected, int capacity = -1)
    {
        _expected = expected;
        var size = capacity < 0 ? expected : capacity;
        Entries = new RingEntry<TestEvent>[size];
        Sequences = new long[size];
        if (expected == 0)
            _reached.TrySetResult();
    }

    public RingEntry<TestEvent>[] Entries { get; }
    public long[] Sequences { get; }
    public int Count { get; private set; }
    public int Batches { get; private set; }
    public int MaxBatch { get; private set; }
    public Task Reached => _reached.Task;

    /// <summary>Called at the start of each batch (before recording), on the processor thread.</summary>
    public Action<long, int>? OnBatchStart { get; set; }

    public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
    {
        OnBatchStart?.Invoke(firstSequence, entries.Length);
        Batches++;
        MaxBatch = Math.Max(MaxBatch, entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            if (Count < Entries.Length)
            {
                Entries[Count] = entries[i];
                Sequences[Count] = firstSequence + i;
            }
            Count++;
        }
        if (Count >= _expected)
            _reached.TrySetResult();
    }
}

internal static class RingTestSupport
{
    /// <summary>
    /// Every wait in these tests ends within this, so a bug fails a test instead of hanging the suite.
    /// A hang detector, not a speed check: 200k entries through a ring of 2 slots (a hand-off per
    /// entry) took over 20 s on this 2-core machine at load 21, so it is set far above any healthy run.
    /// </summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Runs <paramref name="produce"/> on a thread of its own into <paramref name="ring"/>, read by
    /// <paramref name="handler"/> on a processor, until the handler says it is <paramref name="done"/>; shuts
    /// the pipeline down. On a time-out, halts it and fails with the seed and <paramref name="progress"/>.
    /// </summary>
    public static async Task RunProducerAsync<T>(RingBuffer<T> ring, IBatchHandler<T> handler, Task done, Action produce, int seed, Func<string> progress)
        where T : struct
    {
        var pipeline = new RingPipeline<T>(ring);
        pipeline.AddHandler(handler);
        pipeline.Start();
        var producer = Task.Factory.StartNew(produce, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            await producer.WaitAsync(Timeout);
            await done.WaitAsync(Timeout);
            await pipeline.ShutdownAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            pipeline.Halt();
            Assert.Fail($"seed {seed}: timed out: {progress()}");
        }
    }
}

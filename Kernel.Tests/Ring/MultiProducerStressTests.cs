using Kernel.Ring;
using Xunit.Abstractions;

namespace Kernel.Tests.Ring;

public sealed class MultiProducerStressTests(ITestOutputHelper output)
{
    /// <summary>Checks, on the processor thread, that sequences are contiguous and each producer's numbers increase by one.</summary>
    private sealed class OrderCheckingHandler(int producers, long total) : IBatchHandler<TestEvent>
    {
        private readonly long[] _nextNumber = new long[producers];
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _nextSequence;

        public long Count { get; private set; }
        public string? Failure { get; private set; }
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            if (firstSequence != _nextSequence)
                Failure ??= $"batch starts at {firstSequence}, expected {_nextSequence}";
            _nextSequence = firstSequence + entries.Length;
            foreach (ref readonly var entry in entries)
            {
                var p = entry.Event.Producer;
                if (entry.Kind != EntryKind.Event || (ulong)p >= (ulong)_nextNumber.Length)
                    Failure ??= $"entry {Count}: kind {entry.Kind}, producer {p}";
                else if (entry.Event.Number != _nextNumber[p]++)
                    Failure ??= $"producer {p}: got number {entry.Event.Number}, expected {_nextNumber[p] - 1}";
                Count++;
            }
            if (Count >= total)
                _done.TrySetResult();
        }
    }

    [Theory]
    [InlineData(3, 60_000, 1024)]
    [InlineData(4, 20_000, 16)]
    public Task ManyProducers_EverySequenceOnce_PerProducerOrderKept(int producers, int perProducer, int ringSize) =>
        RunStress(producers, perProducer, ringSize, Environment.TickCount, RingTestSupport.Timeout);

    // Single-event publishes only, into a large ring: the processor keeps catching up with the
    // producers, so it sees small batches with claims still in flight behind them; nothing may be
    // lost, repeated or reordered by that.
    [Theory]
    [InlineData(3, 100_000, 16384)]
    [InlineData(2, 100_000, 64)]
    public Task SingleEventProducers_ProcessorChasingThem_EverySequenceOnce_PerProducerOrderKept(int producers, int perProducer, int ringSize) =>
        RunStress(producers, perProducer, ringSize, Environment.TickCount, RingTestSupport.Timeout, singleEventsOnly: true);

    // Tiny rings, many laps (over 32,768 per slot): producers race for every slot and every
    // publish wraps around a few entries later.
    [Theory]
    [InlineData(3, 50_000, 4)]
    [InlineData(2, 40_000, 2)]
    public Task TinyRing_ManyLaps_EverySequenceOnce_PerProducerOrderKept(int producers, int perProducer, int ringSize) =>
        RunStress(producers, perProducer, ringSize, Environment.TickCount, RingTestSupport.Timeout);

    // Single publishes from more producers than this machine's CPUs into tiny rings: producers
    // running at once on different CPUs back off after publishing behind a lower CPU's entry
    // (MultiProducerSequencer.Publish), and every slot is reused every few entries; whatever the
    // back-offs and the interleaving, nothing may be lost, repeated or reordered.
    [Theory]
    [InlineData(4, 50_000, 4)]
    [InlineData(3, 50_000, 2)]
    public Task TinyRing_SingleEventProducers_ManyLaps_EverySequenceOnce_PerProducerOrderKept(int producers, int perProducer, int ringSize) =>
        RunStress(producers, perProducer, ringSize, Environment.TickCount, RingTestSupport.Timeout, singleEventsOnly: true);

    [Fact]
    public void Poll_StopsAtTheFirstClaimNotYetPublished()
    {
        var ring = new RingBuffer<TestEvent>(16, ProducerType.Multi);
        var barrier = new SequenceBarrier(ring.Sequencer, WaitStrategy.Default, []);

        var first = ring.Claim(1);                       // sequence 0, not yet published
        ring.Publish(new TestEvent(0, 1));               // sequence 1
        Assert.Equal(-1, barrier.Poll(0));               // 0 blocks the run

        first.Publish();
        first.Dispose();
        Assert.Equal(1, barrier.Poll(0));

        var third = ring.Claim(1);                       // sequence 2, in flight
        Assert.Equal(1, barrier.Poll(0));

        third.Publish();
        third.Dispose();
        Assert.Equal(2, barrier.Poll(0));
    }

    [Theory]
    [Trait("Category", "Soak")]
    [InlineData(4, 2_000_000, 64)]
    [InlineData(8, 500_000, 4096)]
    public Task Soak_ManyProducers_EverySequenceOnce_PerProducerOrderKept(int producers, int perProducer, int ringSize) =>
        RunStress(producers, perProducer, ringSize, Environment.TickCount, TimeSpan.FromMinutes(5));

    private async Task RunStress(int producers, int perProducer, int ringSize, int seed, TimeSpan timeout, bool singleEventsOnly = false)
    {
        output.WriteLine($"seed {seed}");
        var ring = new RingBuffer<TestEvent>(ringSize, ProducerType.Multi);
        var checker = new OrderCheckingHandler(producers, (long)producers * perProducer);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(checker);
        pipeline.Start();

        var tasks = new Task[producers];
        for (var p = 0; p < producers; p++)
        {
            var producer = p;
            tasks[p] = Task.Factory.StartNew(() => Produce(ring, producer, perProducer, seed + producer, singleEventsOnly),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        try
        {
            await Task.WhenAll(tasks).WaitAsync(timeout);
            await checker.Done.WaitAsync(timeout);
            await pipeline.ShutdownAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            pipeline.Halt();
            Assert.Fail($"seed {seed}: timed out after {checker.Count} of {(long)producers * perProducer} entries (cursor {ring.Cursor}, processed {pipeline.Processors[0].ProcessedSequence}, sleepers {ring.Sequencer.Signal.Waiters} + {ring.Sequencer.RoomSignal.Waiters} waiting for room); {checker.Failure}");
        }

        Assert.True(checker.Failure is null, $"seed {seed}: {checker.Failure}");
        Assert.Equal((long)producers * perProducer, checker.Count);
        Assert.Equal(checker.Count - 1, pipeline.Processors[0].ProcessedSequence);
    }

    /// <summary>Mixes every way to publish, chosen by a seeded random, so claims of all sizes interleave.</summary>
    private static void Produce(RingBuffer<TestEvent> ring, int producer, int count, int seed, bool singleEventsOnly)
    {
        var random = new Random(seed);
        var batch = new TestEvent[Math.Min(32, ring.BufferSize)];
        var number = 0;
        while (number < count)
        {
            switch (singleEventsOnly ? 0 : random.Next(4))
            {
                case 0:
                    ring.Publish(new TestEvent(producer, number++));
                    break;
                case 1:
                {
                    var n = Math.Min(random.Next(1, batch.Length + 1), count - number);
                    for (var i = 0; i < n; i++)
                        batch[i] = new TestEvent(producer, number++);
                    ring.Publish(batch.AsSpan(0, n));
                    break;
                }
                case 2:
                {
                    var n = Math.Min(random.Next(1, batch.Length + 1), count - number);
                    using var claim = ring.Claim(n);
                    for (var i = 0; i < n; i++)
                        claim[i].Event = new TestEvent(producer, number++);
                    claim.Publish();
                    break;
                }
                default:
                    if (ring.TryPublish(new TestEvent(producer, number)))
                        number++;
                    break;
            }
        }
    }
}

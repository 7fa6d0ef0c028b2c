using Kernel.Ring;

namespace Kernel.Tests.Ring;

public sealed class AllocationTests
{
    /// <summary>Reads the processor thread's allocation counter when given event numbers pass by.</summary>
    private sealed class AllocationProbe(long startAt, long stopAt) : IBatchHandler<TestEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _sum;

        public long AllocatedAtStart { get; private set; } = -1;
        public long AllocatedAtStop { get; private set; } = -1;
        public long Sum => _sum;
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                _sum += e.Event.Payload;
                if (e.Event.Number == startAt)
                    AllocatedAtStart = GC.GetAllocatedBytesForCurrentThread();
                if (e.Event.Number == stopAt)
                {
                    AllocatedAtStop = GC.GetAllocatedBytesForCurrentThread();
                    _done.TrySetResult();
                }
            }
        }
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task SteadyState_ZeroBytesPerEvent_OnProducerAndProcessorThreads(ProducerType producerType)
    {
        const int Warmup = 200_000;
        const int Measured = 1_000_000;
        var ring = new RingBuffer<TestEvent>(1024, producerType);
        var probe = new AllocationProbe(Warmup, Warmup + Measured - 1);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(probe);
        pipeline.Start();

        var batch = new TestEvent[64];
        var producerAllocated = await Task.Factory.StartNew(() =>
        {
            long before = 0;
            for (var i = 0; i < Warmup + Measured;)
            {
                if (i == Warmup)
                    before = GC.GetAllocatedBytesForCurrentThread();
                if (i % 1024 < 960)
                {
                    ring.Publish(new TestEvent(0, i, payload: i));
                    i++;
                }
                else
                {
                    // Batches that end exactly on the next measured boundary of 64.
                    for (var j = 0; j < batch.Length; j++)
                        batch[j] = new TestEvent(0, i + j, payload: i + j);
                    ring.Publish(batch);
                    i += batch.Length;
                }
            }
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(RingTestSupport.Timeout);
        await probe.Done.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(0, producerAllocated);
        Assert.True(probe.AllocatedAtStart >= 0 && probe.AllocatedAtStop >= 0, "the probe missed its events");
        Assert.Equal(0, probe.AllocatedAtStop - probe.AllocatedAtStart);
        var n = (long)(Warmup + Measured);
        Assert.Equal(n * (n - 1) / 2, probe.Sum);
    }
}

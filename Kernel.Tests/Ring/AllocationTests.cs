using Kernel.Ring;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Ring;

public sealed class AllocationTests
{
    /// <summary>
    /// Reads the processor thread's allocation counter when given event numbers (window
    /// boundaries) pass by; window k lies between boundaries k and k + 1.
    /// </summary>
    private sealed class AllocationProbe(long[] boundaries) : IBatchHandler<TestEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _allocated = new long[boundaries.Length];
        private int _next;
        private long _sum;

        public int Seen => _next;
        public long Sum => _sum;
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                _sum += e.Event.Payload;
                if (_next < boundaries.Length && e.Event.Number == boundaries[_next])
                {
                    _allocated[_next] = GC.GetAllocatedBytesForCurrentThread();
                    if (++_next == boundaries.Length) _done.TrySetResult();
                }
            }
        }

        /// <summary>The least figure of the windows (see <see cref="Allocations"/>).</summary>
        public long Allocated()
        {
            var bytes = new long[boundaries.Length - 1];
            for (var k = 0; k < bytes.Length; k++) bytes[k] = _allocated[k + 1] - _allocated[k];
            return Allocations.Pick(bytes);
        }
    }

    [Theory]
    [InlineData(ProducerType.Single)]
    [InlineData(ProducerType.Multi)]
    public async Task SteadyState_ZeroBytesPerEvent_OnProducerAndProcessorThreads(ProducerType producerType)
    {
        const int Warmup = 200_000;
        const int Window = 200_000;   // a multiple of 64: every boundary is hit exactly by the producer
        const int Windows = 5;
        // Five measured windows per thread: a one-off jump of the per-thread counter (seen under
        // a loaded parallel run) falls into one window; a per-event allocation shows in every one.
        var boundaries = new long[Windows + 1];
        for (var k = 0; k <= Windows; k++) boundaries[k] = Warmup + (long)k * Window;
        boundaries[Windows]--;   // the last event of the stream
        var ring = new RingBuffer<TestEvent>(1024, producerType);
        var probe = new AllocationProbe(boundaries);
        var pipeline = new RingPipeline<TestEvent>(ring);
        pipeline.AddHandler(probe);
        pipeline.Start();

        var batch = new TestEvent[64];
        var producerAllocated = await Task.Factory.StartNew(() =>
        {
            var bytes = new long[Windows];
            long before = 0;
            var window = -1;
            for (var i = 0; i < Warmup + Windows * Window;)
            {
                if (i >= Warmup && (i - Warmup) % Window == 0)
                {
                    var now = GC.GetAllocatedBytesForCurrentThread();
                    if (window >= 0) bytes[window] = now - before;
                    window++;
                    before = now;
                }
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
            bytes[window] = GC.GetAllocatedBytesForCurrentThread() - before;
            return Allocations.Pick(bytes);
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).WaitAsync(RingTestSupport.Timeout);
        await probe.Done.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        Assert.Equal(0, producerAllocated);
        Assert.Equal(boundaries.Length, probe.Seen);
        Assert.Equal(0, probe.Allocated());
        var n = (long)(Warmup + Windows * Window);
        Assert.Equal(n * (n - 1) / 2, probe.Sum);
    }
}

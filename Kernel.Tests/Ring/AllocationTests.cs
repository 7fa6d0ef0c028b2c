using Kernel.Ring;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Ring;

public sealed class AllocationTests
{
    /// <summary>
    /// Reads the processor thread's allocation counter and the gen-0 collection count when given
    /// event numbers (window boundaries) pass by; window k lies between boundaries k and k + 1.
    /// </summary>
    private sealed class AllocationProbe(long[] boundaries) : IBatchHandler<TestEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long[] _allocated = new long[boundaries.Length];
        private readonly int[] _collections = new int[boundaries.Length];
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
                    _collections[_next] = GC.CollectionCount(0);
                    if (++_next == boundaries.Length) _done.TrySetResult();
                }
            }
        }

        /// <summary>Bytes of the first window without a GC, else the least (see <see cref="Allocations"/>).</summary>
        public long Allocated()
        {
            var bytes = new long[boundaries.Length - 1];
            var gc = new bool[bytes.Length];
            for (var k = 0; k < bytes.Length; k++)
            {
                bytes[k] = _allocated[k + 1] - _allocated[k];
                gc[k] = _collections[k + 1] != _collections[k];
            }
            return Allocations.Pick(bytes, gc);
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
        // Five measured windows per thread: a GC caused by tests running in parallel can make the
        // per-thread counter jump in a window it falls into, never in a GC-free one; a per-event
        // allocation shows in every window.
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
            var gc = new bool[Windows];
            long before = 0;
            var collections = 0;
            var window = -1;
            for (var i = 0; i < Warmup + Windows * Window;)
            {
                if (i >= Warmup && (i - Warmup) % Window == 0)
                {
                    var now = GC.GetAllocatedBytesForCurrentThread();
                    var count = GC.CollectionCount(0);
                    if (window >= 0)
                    {
                        bytes[window] = now - before;
                        gc[window] = count != collections;
                    }
                    window++;
                    before = now;
                    collections = count;
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
            gc[window] = GC.CollectionCount(0) != collections;
            return Allocations.Pick(bytes, gc);
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

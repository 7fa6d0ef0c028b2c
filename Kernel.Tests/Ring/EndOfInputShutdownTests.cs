using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// End of input published just before <see cref="RingPipeline{T}.ShutdownAsync"/> must reach every
/// handler, as the last entry it sees, in every layout: producer kinds, wait strategies, ring
/// sizes, handler graphs, and a shutdown that races the processors' threads starting.
/// </summary>
public sealed class EndOfInputShutdownTests
{
    private static readonly int Iterations = int.TryParse(Environment.GetEnvironmentVariable("KERNEL_EOI_ITERATIONS"), out var n) ? n : 400;

    [Fact]
    public async Task EndOfInputThenShutdown_ReachesEveryHandlerLast()
    {
        var baseSeed = Environment.TickCount;
        for (var iteration = 0; iteration < Iterations; iteration++)
        {
            var seed = baseSeed + iteration;
            try
            {
                await RunOnce(seed);
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"seed {seed} (iteration {iteration}): {ex.Message}");
            }
        }
    }

    private static async Task RunOnce(int seed)
    {
        var random = new Random(seed);
        var producerType = random.Next(2) == 0 ? ProducerType.Single : ProducerType.Multi;
        WaitStrategy waitStrategy = random.Next(5) switch
        {
            0 => WaitStrategy.Default,
            1 => new BlockingWaitStrategy(),
            2 => new SleepingWaitStrategy(),
            3 => new YieldingWaitStrategy(),
            _ => new SpinThenBlockWaitStrategy(TimeSpan.Zero),
        };
        var size = 1 << random.Next(2, 7);
        var startFirst = random.Next(2) == 0;
        // Before Start nothing consumes, so at most a ring's worth (less the end of input) fits.
        var events = startFirst ? random.Next(0, 3 * size) : random.Next(0, size);
        var layout = random.Next(3); // 0: one handler; 1: two side by side; 2: the second after the first
        var publishOnOtherThread = startFirst && random.Next(2) == 0;
        var claimBatches = random.Next(2) == 0;
        var slowHandler = random.Next(4) == 0;
        // Published before Start, then shut down without ever calling Start: the drain must still run.
        var neverStart = !startFirst && random.Next(2) == 0;

        var ring = new RingBuffer<TestEvent>(size, producerType, waitStrategy);
        var pipeline = new RingPipeline<TestEvent>(ring);
        var handlers = new List<RecordingHandler> { new(events + 1) };
        var first = pipeline.AddHandler(handlers[0]);
        if (layout != 0)
        {
            handlers.Add(new RecordingHandler(events + 1));
            if (layout == 1)
                pipeline.AddHandler(handlers[1]);
            else
                pipeline.AddHandler(handlers[1], first);
        }

        if (slowHandler)
            handlers[0].OnBatchStart = (_, _) => Thread.SpinWait(random.Next(1, 2000));
        if (startFirst)
            pipeline.Start();
        if (publishOnOtherThread)
            await Task.Run(() => Publish(ring, events, claimBatches, seed)).WaitAsync(RingTestSupport.Timeout);
        else
            Publish(ring, events, claimBatches, seed);
        if (!startFirst && !neverStart)
            pipeline.Start();
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);

        var description = $"{producerType}, {waitStrategy.GetType().Name}, size {size}, {events} events, layout {layout}, " +
            $"start {(startFirst ? "before" : neverStart ? "never" : "after")} publishing{(publishOnOtherThread ? " (other thread)" : "")}, claims {claimBatches}, slow {slowHandler}";
        for (var h = 0; h < handlers.Count; h++)
        {
            var handler = handlers[h];
            Assert.True(events + 1 == handler.Count, $"{description}: handler {h} saw {handler.Count} entries, expected {events + 1}");
            var last = handler.Entries[events];
            Assert.True(last.Kind == EntryKind.EndOfInput && last.SourceId == 7, $"{description}: handler {h}'s last entry is {last.Kind}");
            Assert.Equal(events, handler.Sequences[events]);
        }
    }

    /// <summary>Events 0..count-1 (singly, or in claimed batches of up to 5), then end of input.</summary>
    private static void Publish(RingBuffer<TestEvent> ring, int count, bool claimBatches, int seed)
    {
        var random = new Random(~seed);
        var i = 0;
        while (i < count)
        {
            if (!claimBatches)
            {
                ring.Publish(new TestEvent(0, i++));
                continue;
            }
            var n = Math.Min(count - i, Math.Min(ring.BufferSize, random.Next(1, 6)));
            using var batch = ring.Claim(n);
            for (var j = 0; j < n; j++)
                batch[j].Event = new TestEvent(0, i + j);
            batch.Publish();
            i += n;
        }
        ring.PublishEndOfInput(sourceId: 7);
    }
}

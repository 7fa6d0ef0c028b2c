using Kernel.Ring;
using Xunit.Abstractions;

namespace Kernel.Tests.Ring;

/// <summary>
/// One producer publishing every way (the per-event fast path and its slow path when the ring
/// is full, claims, <c>TryClaim</c>, control entries) into a small ring, so the producer
/// waits for room often; a handler checks every entry's kind, source, value and event in order.
/// </summary>
public sealed class SingleProducerStressTests(ITestOutputHelper output)
{
    /// <summary>What entry number <c>n</c> must look like; a pure function of n, independent of the ring.</summary>
    private static (EntryKind Kind, int SourceId, long Value) Expected(long n) =>
        n % 97 == 96 ? (EntryKind.Watermark, (int)(n % 5), n * 3) : (EntryKind.Event, (int)(n % 7) - 3, n * 11);

    /// <summary>Checks, on the processor thread, every entry against <see cref="Expected"/> and the sequences for gaps.</summary>
    private sealed class CheckingHandler(long total) : IBatchHandler<TestEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }
        public string? Failure { get; private set; }
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<TestEvent>> entries, long firstSequence)
        {
            if (firstSequence != Count)
                Failure ??= $"batch starts at {firstSequence}, expected {Count}";
            foreach (ref readonly var e in entries)
            {
                var n = Count++;
                var (kind, source, value) = Expected(n);
                if (e.Kind != kind || e.SourceId != source || e.Value != value)
                    Failure ??= $"entry {n}: ({e.Kind}, {e.SourceId}, {e.Value}), expected ({kind}, {source}, {value})";
                else if (kind == EntryKind.Event && (e.Event.Number != n || e.Event.Payload != ~n))
                    Failure ??= $"entry {n}: event ({e.Event.Number}, {e.Event.Payload})";
            }
            if (Count >= total)
                _done.TrySetResult();
        }
    }

    [Theory]
    [InlineData(200_000, 16)]
    [InlineData(200_000, 2)]
    [InlineData(300_000, 1024)]
    public async Task OneProducer_EveryWayToPublish_EveryEntryInOrderAndWhole(int total, int ringSize)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var ring = new RingBuffer<TestEvent>(ringSize, ProducerType.Single);
        var checker = new CheckingHandler(total);
        await RingTestSupport.RunProducerAsync(ring, checker, checker.Done, () => Produce(ring, total, seed), seed,
            () => $"{checker.Count} of {total} entries (cursor {ring.Cursor}); {checker.Failure}");
        Assert.True(checker.Failure is null, $"seed {seed}: {checker.Failure}");
        Assert.Equal(total, checker.Count);
    }

    private static void Produce(RingBuffer<TestEvent> ring, int total, int seed)
    {
        var random = new Random(seed);
        var maxRun = Math.Min(8, ring.BufferSize);
        long n = 0;
        while (n < total)
        {
            var (kind, source, value) = Expected(n);
            if (kind != EntryKind.Event)
            {
                ring.PublishControl(kind, value, source);
                n++;
                continue;
            }
            // Runs of events up to the next control entry, published one of several ways.
            var run = 0;
            while (n + run < total && run < maxRun && Expected(n + run).Kind == EntryKind.Event)
                run++;
            switch (random.Next(4))
            {
                case 0:
                    // The per-event path (its slow path whenever the ring is full).
                    ring.Publish(new TestEvent(0, n, ~n), source, value);
                    n++;
                    break;
                case 1:
                {
                    // Fails fast when full: the loop comes back and may pick another way.
                    var count = random.Next(1, run + 1);
                    if (!ring.TryClaim(count, out var claim))
                        break;
                    // Not `using (claim)`: that would dispose a copy of the struct, which does
                    // not know this one was published.
                    try
                    {
                        for (var i = 0; i < count; i++)
                        {
                            var (_, s, v) = Expected(n + i);
                            claim[i].SourceId = s;
                            claim[i].Value = v;
                            claim[i].Event = new TestEvent(0, n + i, ~(n + i));
                        }
                        claim.Publish();
                    }
                    finally
                    {
                        claim.Dispose();
                    }
                    n += count;
                    break;
                }
                case 2:
                {
                    var count = random.Next(1, run + 1);
                    using var claim = ring.Claim(count);
                    for (var i = 0; i < count; i++)
                    {
                        var (_, s, v) = Expected(n + i);
                        claim[i].SourceId = s;
                        claim[i].Value = v;
                        claim[i].Event = new TestEvent(0, n + i, ~(n + i));
                    }
                    claim.Publish();
                    n += count;
                    break;
                }
                default:
                    ring.Publish(new TestEvent(0, n, ~n), source, value);
                    n++;
                    break;
            }
        }
    }

    /// <summary>An event holding a reference: the ring fills its slot header field by field.</summary>
    private readonly record struct NamedEvent(string Name, long Number);

    private sealed class NamedChecker(long total) : IBatchHandler<NamedEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }
        public string? Failure { get; private set; }
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<NamedEvent>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                var n = Count++;
                var (kind, source, value) = Expected(n);
                if (e.Kind != EntryKind.Event || e.SourceId != source || e.Value != value || e.Event.Number != n || e.Event.Name != Names[n % Names.Length])
                    Failure ??= $"entry {n}: ({e.Kind}, {e.SourceId}, {e.Value}, {e.Event}), expected (Event, {source}, {value}, {n})";
            }
            if (Count >= total)
                _done.TrySetResult();
        }
    }

    private static readonly string[] Names = ["a", "bb", "ccc"];

    [Fact]
    public async Task OneProducer_EventWithReferences_EveryEntryWhole()
    {
        const int Total = 50_000;
        var ring = new RingBuffer<NamedEvent>(16, ProducerType.Single);
        var checker = new NamedChecker(Total);
        var pipeline = new RingPipeline<NamedEvent>(ring);
        pipeline.AddHandler(checker);
        pipeline.Start();
        var producer = Task.Factory.StartNew(() =>
        {
            for (long n = 0; n < Total; n++)
            {
                var (_, source, value) = Expected(n);
                ring.Publish(new NamedEvent(Names[n % Names.Length], n), source, value);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await producer.WaitAsync(RingTestSupport.Timeout);
        await checker.Done.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        Assert.True(checker.Failure is null, checker.Failure);
        Assert.Equal(Total, checker.Count);
    }

    private sealed class TupleChecker(long total) : IBatchHandler<(byte Small, long Number)>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }
        public string? Failure { get; private set; }
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<(byte Small, long Number)>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                var n = Count++;
                var (_, source, value) = Expected(n);
                if (e.Kind != EntryKind.Event || e.SourceId != source || e.Value != value || e.Event.Number != n || e.Event.Small != (byte)(n * 7))
                    Failure ??= $"entry {n}: ({e.Kind}, {e.SourceId}, {e.Value}, {e.Event}), expected (Event, {source}, {value}, ({(byte)(n * 7)}, {n}))";
            }
            if (Count >= total)
                _done.TrySetResult();
        }
    }

    [Fact]
    public async Task OneProducer_AutoLayoutEvent_EveryEntryWhole()
    {
        // A ValueTuple is laid out automatically, which may reorder the entry's own fields.
        const int Total = 50_000;
        var ring = new RingBuffer<(byte Small, long Number)>(16, ProducerType.Single);
        var checker = new TupleChecker(Total);
        var pipeline = new RingPipeline<(byte Small, long Number)>(ring);
        pipeline.AddHandler(checker);
        pipeline.Start();
        var producer = Task.Factory.StartNew(() =>
        {
            for (long n = 0; n < Total; n++)
            {
                var (_, source, value) = Expected(n);
                ring.Publish(((byte)(n * 7), n), source, value);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await producer.WaitAsync(RingTestSupport.Timeout);
        await checker.Done.WaitAsync(RingTestSupport.Timeout);
        await pipeline.ShutdownAsync().WaitAsync(RingTestSupport.Timeout);
        Assert.True(checker.Failure is null, checker.Failure);
        Assert.Equal(Total, checker.Count);
    }
}

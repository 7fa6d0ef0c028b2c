using Kernel.Ring;
using Xunit.Abstractions;

namespace Kernel.Tests.Ring;

/// <summary>
/// Span publishes of 48-byte events (64-byte slots, written with streaming stores where AVX is there) into a
/// small ring read by a processor on another thread: every event must arrive whole and in order. Streaming
/// stores are weakly ordered; the copy's store fence is what keeps a processor that sees the cursor from
/// reading a slot's old contents.
/// </summary>
public sealed class StreamedCopyStressTests(ITestOutputHelper output)
{
    private struct WideEvent
    {
        public long A, B, C, D, E, F;

        public static WideEvent Of(long n) => new() { A = n, B = ~n, C = n * 3, D = -n, E = n ^ 0x5555, F = n + 7 };
    }

    private sealed class CheckingHandler(long total) : IBatchHandler<WideEvent>
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Count { get; private set; }
        public string? Failure { get; private set; }
        public Task Done => _done.Task;

        public void OnBatch(ReadOnlySpan<RingEntry<WideEvent>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                var n = Count++;
                if (e.Kind != EntryKind.Event || e.SourceId != 0 || e.Value != 0 || !e.Event.Equals(WideEvent.Of(n)))
                    Failure ??= $"entry {n} (batch from {firstSequence}): kind {e.Kind}, source {e.SourceId}, value {e.Value}, A {e.Event.A}, F {e.Event.F}";
            }
            if (Count >= total)
                _done.TrySetResult();
        }
    }

    [Theory]
    [InlineData(400_000, 64)]
    [InlineData(100_000, 4)]
    public async Task SpanPublishes_OfLineSizedSlots_ArriveWholeAndInOrder(int total, int ringSize)
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var ring = new RingBuffer<WideEvent>(ringSize, ProducerType.Single);
        var checker = new CheckingHandler(total);
        await RingTestSupport.RunProducerAsync(ring, checker, checker.Done, () => Produce(ring, total, seed), seed,
            () => $"{checker.Count} of {total} entries; {checker.Failure}");
        Assert.True(checker.Failure is null, $"seed {seed}: {checker.Failure}");
        Assert.Equal(total, checker.Count);
    }

    private static void Produce(RingBuffer<WideEvent> ring, int total, int seed)
    {
        var random = new Random(seed);
        var buffer = new WideEvent[3 * ring.BufferSize];
        long n = 0;
        while (n < total)
        {
            // Runs shorter and longer than the ring (Publish splits those), through both span publishes.
            var length = (int)Math.Min(total - n, random.Next(1, buffer.Length + 1));
            for (var i = 0; i < length; i++) buffer[i] = WideEvent.Of(n + i);
            var run = buffer.AsSpan(0, length);
            if (random.Next(2) == 0)
                ring.Publish(run);
            else
                while (!run.IsEmpty) run = run[ring.TryPublish(run)..];
            n += length;
        }
    }
}

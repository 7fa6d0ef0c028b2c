using Kernel.Ring;
using Kernel.Runtime;

namespace Kernel.Tests.Runtime;

/// <summary>
/// A disposed single-producer kernel hands its ring's slots to the next kernel of the same event type and
/// ring size (<see cref="RingSlotPool{T}"/>). Each test has event types of its own, so tests running in
/// parallel never take each other's kept arrays.
/// </summary>
public sealed class RingSlotReuseTests
{
    private struct ReusedEvent
    {
        public long Number;
        public long Payload;
    }

    private struct MisusedEvent
    {
        public long Number;
    }

    private struct MultiEvent
    {
        public long Number;
    }

    private sealed class Recorder<T> : IBatchHandler<T>
        where T : struct
    {
        public readonly List<(EntryKind Kind, T Event)> Entries = [];

        public void OnBatch(ReadOnlySpan<RingEntry<T>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
                Entries.Add((e.Kind, e.Event));
        }
    }

    [Fact]
    public async Task DisposedKernel_NextKernelReusesSlots_AndSeesOnlyItsOwnEvents()
    {
        var first = new StreamKernel<ReusedEvent>(new StreamKernelOptions { RingSize = 256, ProducerType = ProducerType.Single });
        first.AddHandler("recorder", new Recorder<ReusedEvent>());
        first.Start();
        // Fill every slot with events of the first kernel, so stale ones would show if the second saw them.
        for (var i = 0; i < 300; i++)
            first.Publish(new ReusedEvent { Number = i, Payload = -1 });
        await first.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        var firstSlots = first.Ring.SlotsForTests;
        await first.DisposeAsync();

        await using var second = new StreamKernel<ReusedEvent>(new StreamKernelOptions { RingSize = 256, ProducerType = ProducerType.Single });
        var recorder = new Recorder<ReusedEvent>();
        second.AddHandler("recorder", recorder);
        Assert.Same(firstSlots, second.Ring.SlotsForTests);
        Assert.NotSame(firstSlots, first.Ring.SlotsForTests);
        second.Start();
        second.Publish([new ReusedEvent { Number = 1000, Payload = 7 }, new ReusedEvent { Number = 1001, Payload = 8 }]);
        second.Publish(new ReusedEvent { Number = 1002, Payload = 9 });
        await second.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        Assert.Equal([1000L, 1001, 1002], recorder.Entries.Where(e => e.Kind == EntryKind.Event).Select(e => e.Event.Number));
        Assert.Equal([7L, 8, 9], recorder.Entries.Where(e => e.Kind == EntryKind.Event).Select(e => e.Event.Payload));
        Assert.Equal(EntryKind.EndOfInput, recorder.Entries[^1].Kind);
    }

    [Fact]
    public async Task PublishIntoDisposedKernel_NeverWritesTheSlotsItHandedOn()
    {
        var first = new StreamKernel<MisusedEvent>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Single });
        first.AddHandler("recorder", new Recorder<MisusedEvent>());
        first.Start();
        await first.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        await first.DisposeAsync();

        await using var second = new StreamKernel<MisusedEvent>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Single });
        var slots = second.Ring.SlotsForTests;
        var before = slots.ToArray();
        // A misuse (publishing after dispose) goes into the disposed ring's own array, not the second kernel's.
        for (var i = 0; i < 32; i++)
            first.Ring.Publish(new MisusedEvent { Number = 5000 + i });
        Assert.Equal(before, slots);
    }

    [Fact]
    public async Task MultiProducerKernel_KeepsItsSlots()
    {
        var first = new StreamKernel<MultiEvent>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Multi });
        first.AddHandler("recorder", new Recorder<MultiEvent>());
        first.Start();
        first.Publish(new MultiEvent { Number = 1 });
        await first.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);
        var slots = first.Ring.SlotsForTests;
        await first.DisposeAsync();

        Assert.Same(slots, first.Ring.SlotsForTests);
        await using var second = new StreamKernel<MultiEvent>(new StreamKernelOptions { RingSize = 64, ProducerType = ProducerType.Multi });
        Assert.NotSame(slots, second.Ring.SlotsForTests);
    }
}

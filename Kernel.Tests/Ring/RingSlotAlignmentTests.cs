using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Ring;

namespace Kernel.Tests.Ring;

/// <summary>
/// A ring of unmanaged events lays its slots out from a 64-byte line (<see cref="RingSlotPool{T}.AlignedStart"/>):
/// with a 48-byte event each slot is exactly one line. The slots still hold what was published, in order, across
/// the ring's end, for entry sizes that are not a multiple of the line too.
/// </summary>
public sealed class RingSlotAlignmentTests
{
    // RingEntry of this is 16 + 48 = 64 bytes: one line a slot.
    [StructLayout(LayoutKind.Sequential, Size = 48)]
    private struct LineEvent
    {
    }

    // 48 bytes with values: its 64-byte slots take the streaming copy (NonTemporalSlotCopy) where AVX is there.
    private struct StreamedEvent
    {
        public long A, B, C, D, E, F;

        public static StreamedEvent Of(long n) => new() { A = n, B = ~n, C = n * 3, D = -n, E = n ^ 0x5555, F = n + 7 };
    }

    // RingEntry of this is 16 + 8 = 24 bytes: slots straddle lines whatever the start; ring index 0 still starts on one.
    private struct SmallEvent
    {
        public long A;
    }

    [Fact]
    public void LineSizedSlots_EachStartOnALine()
    {
        Assert.Equal(64, Unsafe.SizeOf<RingEntry<LineEvent>>());
        // Several rings: each new pinned array lands at its own address, and each must be aligned.
        for (var r = 0; r < 8; r++)
        {
            var ring = new RingBuffer<LineEvent>(16 << r);
            for (var i = 0; i < ring.BufferSize; i += 7)
                Assert.Equal(0, AddressOf(ring, ref ring.SlotAt(i)) % 64);
        }
    }

    [Fact]
    public void SmallSlots_RingIndexZeroStartsOnALine()
    {
        var ring = new RingBuffer<SmallEvent>(64);
        Assert.Equal(0, AddressOf(ring, ref ring.FirstSlot) % 64);
    }

    [Fact]
    public void AlignedSlots_HoldWhatWasPublished_AcrossTheRingsEnd()
    {
        var ring = new RingBuffer<SmallEvent>(8);
        // Three laps of single and span publishes; each slot read back right after its publish and the run
        // of the last lap read as the processors see it (Slots). No processor gates this ring, so it never waits.
        long next = 0;
        Span<SmallEvent> seven = stackalloc SmallEvent[7];
        for (var lap = 0; lap < 3; lap++)
        {
            ring.Publish(new SmallEvent { A = next });
            Assert.Equal(next, ring.SlotAt(next).Event.A);
            next++;
            for (var i = 0; i < seven.Length; i++) seven[i] = new SmallEvent { A = next + i };
            ring.Publish(seven);
            for (var i = 0; i < seven.Length; i++) Assert.Equal(next + i, ring.SlotAt(next + i).Event.A);
            next += seven.Length;
        }
        var slots = ring.Slots(0, ring.BufferSize);
        for (var i = 0; i < slots.Length; i++)
            Assert.Equal(next - ring.BufferSize + i, slots[i].Event.A);
    }

    [Fact]
    public void StreamedCopy_AppliesTo48ByteEvents_WhereAvxIs()
    {
        Assert.Equal(64, Unsafe.SizeOf<RingEntry<StreamedEvent>>());
        Assert.Equal(System.Runtime.Intrinsics.X86.Avx.IsSupported, NonTemporalSlotCopy<StreamedEvent>.Applies);
        Assert.False(NonTemporalSlotCopy<SmallEvent>.Applies);
    }

    [Fact]
    public void StreamedCopy_WritesWholeSlots_OverControlEntries_AndAcrossTheRingsEnd()
    {
        var ring = new RingBuffer<StreamedEvent>(16);
        long next = 0;
        Span<StreamedEvent> run = stackalloc StreamedEvent[11];
        for (var lap = 0; lap < 6; lap++)
        {
            // A control entry leaves a kind, a source and a value in its slot; the span publish over it a lap
            // later must write the header too (Kind = Event, SourceId 0, Value 0), not only the event.
            ring.PublishWatermark(1_000 + lap, sourceId: 3);
            next++;
            for (var i = 0; i < run.Length; i++) run[i] = StreamedEvent.Of(next + i);
            if (lap % 2 == 0) ring.Publish(run);
            else Assert.Equal(run.Length, ring.TryPublish(run));
            for (var i = 0; i < run.Length; i++)
            {
                ref var slot = ref ring.SlotAt(next + i);
                Assert.Equal(EntryKind.Event, slot.Kind);
                Assert.Equal(0, slot.SourceId);
                Assert.Equal(0, slot.Value);
                Assert.Equal(StreamedEvent.Of(next + i), slot.Event);
            }
            next += run.Length;
        }
    }

    [Fact]
    public void StreamedCopy_IntoARetiredRing_WritesOnlyItsSink()
    {
        // A retired ring points at a sink array that is not pinned (and may be unaligned): a publish after
        // dispose must neither fault nor reach the array the next ring rents.
        var first = new RingBuffer<RetiredEvent>(32);
        first.Retire();
        var second = new RingBuffer<RetiredEvent>(32);
        Assert.NotSame(first.SlotsForTests, second.SlotsForTests);
        Span<RetiredEvent> run = stackalloc RetiredEvent[20];
        for (var i = 0; i < run.Length; i++) run[i] = new RetiredEvent { A = 100 + i };
        first.Publish(run);
        Assert.Equal(run[19].A, first.SlotAt(19).Event.A);
        // The rented array was never written: every event in it is still zero.
        foreach (var slot in second.SlotsForTests)
            Assert.Equal(0, slot.Event.A);
    }

    [StructLayout(LayoutKind.Sequential, Size = 48)]
    private struct RetiredEvent
    {
        public long A;
    }

    private static long AddressOf<T>(RingBuffer<T> ring, ref RingEntry<T> slot)
        where T : struct
    {
        var array = ring.SlotsForTests;
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            return (long)handle.AddrOfPinnedObject() + (long)Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(array), ref slot);
        }
        finally
        {
            handle.Free();
        }
    }
}

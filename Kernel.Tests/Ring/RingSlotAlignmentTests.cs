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

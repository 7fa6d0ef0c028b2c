using System.Runtime.CompilerServices;
using Kernel.Ring;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Ring;

public sealed class SequenceLayoutTests
{
    // Stand-in with the same object header as any class: the first field is where fields start.
    private sealed class RawObject
    {
        public byte FirstField;
    }

    [Fact]
    public void Value_Sits56BytesIntoTheFields_With56BytesAfterIt()
    {
        var sequence = new Sequence(42);
        ref var fieldsStart = ref Unsafe.As<RawObject>(sequence).FirstField;
        ref var value = ref Unsafe.As<long, byte>(ref sequence.ValueRef);

        var offset = (long)Unsafe.ByteOffset(ref fieldsStart, ref value);

        Assert.Equal(56, offset);
        Assert.Equal(42, sequence.Value);
        Assert.Equal(56 + 8 + 56, Sequence.PaddedSize);
    }

    [Fact]
    public void Instance_OccupiesAtLeastThePaddedSize()
    {
        // Allocation size of one instance: header + method table + the padded fields.
        Sequence? sequence = null;
        var allocated = Allocations.SteadyState(() => sequence = new Sequence());
        GC.KeepAlive(sequence);

        Assert.True(allocated >= Sequence.PaddedSize + 2 * IntPtr.Size,
            $"a Sequence took {allocated} bytes; its fields alone need {Sequence.PaddedSize}");
    }

    [Fact]
    public void Operations_ReadAndWriteTheValue()
    {
        var sequence = new Sequence();
        Assert.Equal(-1, sequence.Value);
        sequence.SetValue(7);
        Assert.True(sequence.CompareAndSet(7, 9));
        Assert.False(sequence.CompareAndSet(7, 11));
        Assert.Equal(12, sequence.AddAndGet(3));
    }

    [Fact]
    public void RingEntry_KindAtOffset0_SourceIdAtOffset4()
    {
        // The single-producer publish writes Kind and SourceId with one 8-byte store for events
        // without references; it relies on this layout.
        var entry = default(RingEntry<TestEvent>);
        ref var start = ref Unsafe.As<RingEntry<TestEvent>, byte>(ref entry);

        Assert.Equal(0, (long)Unsafe.ByteOffset(ref start, ref Unsafe.As<EntryKind, byte>(ref entry.Kind)));
        Assert.Equal(4, (long)Unsafe.ByteOffset(ref start, ref Unsafe.As<int, byte>(ref entry.SourceId)));
        Assert.Equal(1, Unsafe.SizeOf<EntryKind>());
    }
}

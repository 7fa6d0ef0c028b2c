using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Ring;

/// <summary>
/// Copies a run of events into ring slots with non-temporal (streaming) stores of whole 32-byte halves of
/// each slot, for <see cref="RingBuffer{T}.Publish(ReadOnlySpan{T})"/>. The only <c>unsafe</c> code of the
/// publish path lives here.
/// </summary>
/// <remarks>
/// <para>
/// Why: a slot is rewritten a lap after the processor read it, and the processor's core may still hold the
/// line (in its L2, or in its own L3 when the two threads sit on different core complexes). An ordinary
/// store first fetches the line for ownership, so every slot write waits for a cross-core invalidation and
/// the producer ran at a third of its single-threaded speed in the end-to-end aggregate benchmark
/// (Kernel.Bench/Notes/ring.md, session 13). A streaming store writes the whole line without reading it.
/// </para>
/// <para>
/// When: x86 with AVX, an unmanaged event whose slot size is a multiple of 32 bytes with the event at offset
/// 16 (a 48-byte event makes a 64-byte slot), and slots that start on a 32-byte boundary (the ring lays them
/// out from a cache line, see <see cref="RingSlotPool{T}.AlignedStart"/>). Otherwise <see cref="TryCopy"/>
/// returns false and the caller copies with ordinary stores. Streaming stores are weakly ordered:
/// <see cref="TryCopy"/> ends with a store fence, so the caller's release of the cursor that follows
/// publishes slots that every processor sees whole.
/// </para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal static unsafe class NonTemporalSlotCopy<T>
{
    private const int HeaderBytes = 16;

    /// <summary>True when this event type's slots can be written with streaming stores on this machine.</summary>
    public static readonly bool Applies = Avx.IsSupported
        && !RuntimeHelpers.IsReferenceOrContainsReferences<RingEntry<T>>()
        && Unsafe.SizeOf<RingEntry<T>>() % 32 == 0
        && EventOffset() == HeaderBytes;

    private static int EventOffset()
    {
        var entry = default(RingEntry<T>);
        return (int)Unsafe.ByteOffset(ref Unsafe.As<RingEntry<T>, byte>(ref entry), ref Unsafe.As<T, byte>(ref entry.Event));
    }

    /// <summary>
    /// Writes <paramref name="items"/> as event slots for sequences <paramref name="lowest"/> onwards (masked
    /// with <paramref name="indexMask"/>, so the run may wrap) into <paramref name="slots"/>, whose ring index
    /// 0 is <paramref name="firstSlotOffset"/> bytes into its data. False, with nothing written, when the
    /// type or the slots' alignment does not allow it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryCopy(RingEntry<T>[] slots, nint firstSlotOffset, int indexMask, long lowest, ReadOnlySpan<T> items)
    {
        if (!Applies)
            return false;
        return CopyCore(slots, firstSlotOffset, indexMask, lowest, items);
    }

    private static bool CopyCore(RingEntry<T>[] slots, nint firstSlotOffset, int indexMask, long lowest, ReadOnlySpan<T> items)
    {
        var size = Unsafe.SizeOf<RingEntry<T>>();
        // Pinned for the copy: a ring's own slots live on the pinned heap; the array a retired ring points at
        // does not, and a publish after dispose may still write into it.
        fixed (byte* data = &Unsafe.As<RingEntry<T>, byte>(ref MemoryMarshal.GetArrayDataReference(slots)))
        {
            var first = data + firstSlotOffset;
            if (((nint)first & 31) != 0)
                return false;
            // Header: Kind = Event in byte 0; SourceId and Value 0 (a span publish has neither).
            var header = Vector128.CreateScalar((ulong)(byte)EntryKind.Event).AsByte();
            ref var source = ref MemoryMarshal.GetReference(items);
            for (var i = 0; i < items.Length; i++)
            {
                ref var eventBytes = ref Unsafe.As<T, byte>(ref Unsafe.Add(ref source, i));
                var slot = first + (nint)((lowest + i) & indexMask) * size;
                Avx.StoreAlignedNonTemporal(slot, Vector256.Create(header, Vector128.LoadUnsafe(ref eventBytes)));
                for (var k = 32; k < size; k += 32)
                    Avx.StoreAlignedNonTemporal(slot + k, Vector256.LoadUnsafe(ref eventBytes, (nuint)(k - HeaderBytes)));
            }
        }
        Sse.StoreFence();
        return true;
    }
}

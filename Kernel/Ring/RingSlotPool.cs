using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// Keeps the slot array of the last retired ring of an event type (see <see cref="RingBuffer{T}.Retire"/>),
/// so that the next ring of the same type and size reuses memory that is already mapped instead of
/// touching fresh pages: on a VM with shadow paging the first write to a fresh page costs 6–14 µs,
/// and a 64k-slot ring of 64-byte entries is 1,024 pages (several ms) per ring.
/// </summary>
/// <remarks>
/// One array is kept per event type (the common case is one kernel after another: tests, batch runs,
/// benchmark rounds). Only event types without references are pooled, so a kept array holds no
/// object alive. A rented array holds stale entries: every publishing path writes a slot whole before
/// publishing it, so no handler sees them.
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
internal static class RingSlotPool<T>
{
    private static readonly bool s_poolable = !RuntimeHelpers.IsReferenceOrContainsReferences<RingEntry<T>>();

    // The last retired array, taken whole by the next ring of its length (interlocked exchange).
    private static RingEntry<T>[]? s_kept;

    // What retired rings point at instead of their released array (see RingBuffer.Retire): the length
    // of the last retired ring. Never read; a racy cache (any array of the right length will do).
    private static RingEntry<T>[]? s_sink;

    /// <summary>A slot array of <paramref name="length"/> entries: the kept one when it fits, else a new one.</summary>
    public static RingEntry<T>[] Rent(int length)
    {
        if (s_poolable && Volatile.Read(ref s_kept) is { } candidate && candidate.Length == length
            && ReferenceEquals(Interlocked.CompareExchange(ref s_kept, null, candidate), candidate))
            return candidate;
        // Unmanaged entries live on the pinned heap, so the line alignment AlignedStart picks holds for the
        // array's life; entries with references stay movable (and unaligned).
        return s_poolable ? GC.AllocateArray<RingEntry<T>>(length, pinned: true) : new RingEntry<T>[length];
    }

    /// <summary>
    /// Extra entries a ring asks for so that its slots can start up to a cache line into the array: enough
    /// for 63 bytes of shift (unmanaged entries only; 0 otherwise).
    /// </summary>
    public static readonly int AlignmentSlack = s_poolable ? (CacheLine - 1) / Unsafe.SizeOf<RingEntry<T>>() + 1 : 0;

    private const int CacheLine = 64;

    /// <summary>
    /// The byte shift from the array's data at which a ring lays out its slots so that the slot at
    /// <paramref name="pad"/> (ring index 0) starts on a 64-byte line. With 64-byte entries (a 48-byte
    /// event) every slot is then exactly one line: a producer's copy is one whole-line write, and the
    /// slot the consumer reads never shares a line with the one the producer writes next. A .NET array's
    /// data is only 8-byte aligned, so without the shift each such slot straddles two lines. The array is
    /// pinned (see <see cref="Rent"/>), so the address cannot change; 0 for movable arrays.
    /// </summary>
    public static unsafe nint AlignedStart(RingEntry<T>[] slots, int pad)
    {
        if (!s_poolable || AlignmentSlack == 0)
            return 0;
        // Safe: the address is only used for its low bits; the array is pinned for its whole life.
        var first = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(slots)) + pad * (nint)Unsafe.SizeOf<RingEntry<T>>();
        return -first & (CacheLine - 1);
    }

    /// <summary>
    /// Takes back the array of a ring that no thread reads or writes any more and returns an array of the
    /// same length for the ring to point at from now on (never handed to another ring), or null when the
    /// type is not pooled (the ring keeps its array).
    /// </summary>
    public static RingEntry<T>[]? Return(RingEntry<T>[] slots)
    {
        if (!s_poolable)
            return null;
        var sink = s_sink;
        if (sink is null || sink.Length != slots.Length)
            s_sink = sink = new RingEntry<T>[slots.Length];
        Volatile.Write(ref s_kept, slots);
        return sink;
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Ring;

/// <summary>
/// A read-ahead hint for handlers that walk a batch of ring slots: asks for the line a fixed distance
/// past the slot being read, so the slots arrive before the loop reaches them.
/// </summary>
/// <remarks>
/// The producer writes slots with streaming stores (<see cref="NonTemporalSlotCopy{T}"/>), which leave
/// them in memory rather than in any cache; without a hint a handler waits for memory on each new line.
/// The distance, 4 KiB (64 slots of 64 bytes), is what the end-to-end aggregate benchmark measured best
/// among 16–256 slots (Kernel.Bench/Notes/ring.md, session 13). A hint past the ring's last slot or the
/// batch's end is harmless: a prefetch never faults, and the ring's array is pinned, so the address is a
/// real one.
/// </remarks>
internal static unsafe class RingReadAhead
{
    /// <summary>How far past the slot being read the hint asks, in bytes.</summary>
    public const int DistanceBytes = 4096;

    /// <summary>Asks for the line <see cref="DistanceBytes"/> past <paramref name="entry"/> (a hint; no effect without SSE).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Hint<T>(ref readonly RingEntry<T> entry)
    {
        if (Sse.IsSupported)
            Sse.Prefetch0((byte*)Unsafe.AsPointer(ref Unsafe.AsRef(in entry)) + DistanceBytes);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.State;

/// <summary>
/// The entry storage of a <see cref="StateTable{TKey, TState, THasher}"/> in lined direct mode: entries
/// <see cref="StrideOf{TEntry}"/> bytes apart in a pinned array (half a line for an entry of at most 32 bytes,
/// a line for one of at most 64, two for a larger one), from a start chosen so that slot 0's STATE begins on a
/// 64-byte cache line (the key sits in the bytes before it). A fold whose per-event fields are the state's
/// first 64 bytes then touches one line per key, and no state crosses a line: packed 80-byte entries
/// (key + 72-byte state) touch two, and packed 24-byte entries (key, sum, count) put a state across two
/// lines in one slot of eight and start the others at every offset.
/// </summary>
/// <remarks>
/// Unsafe in two places only: the array's address is read once, for its low bits, when choosing the start
/// (the array is on the pinned heap, so the alignment holds for its life); and entries are reinterpreted
/// from the array's bytes at <c>start + slot × stride</c>, range-checked in <see cref="At{TEntry}"/>,
/// unchecked in <see cref="First{TEntry}"/> (for the fold's view, which checks its indices against the
/// table's mask). An entry is unmanaged and at most its stride (the table checks both before choosing this
/// layout; an entry over <see cref="MaxStride"/> bytes is never lined), so entries never overlap and no GC
/// reference lives in the bytes.
/// <para>
/// Why small states are lined too (Kernel.Bench/Notes/aggregate.md, session 20): on this machine (AMD EPYC,
/// 1 MB L2) the keyed operator over a Sum-and-Count state (24-byte entries, 10,000 dense keys) ran 1.3–1.5×
/// slower packed than lined, and about as fast with a 32-, 64- or 128-byte stride; packed entries of 24 and
/// 48 bytes were equally slow. The cost is memory, in direct mode only (dense keys; hashed tables stay
/// packed): a 24-byte entry takes 32 bytes (10M keys: 570 MB against 436 MB packed), a 40-byte one 64. A
/// 64-byte stride for every small entry was tried first and dropped: 1.1 GB for those 10M keys.
/// </para>
/// </remarks>
internal static class LinedEntries
{
    /// <summary>The largest distance between two entries (two cache lines): a larger entry is never lined.</summary>
    public const int MaxStride = 128;

    /// <summary>The cache line the states are aligned to.</summary>
    public const int Line = 64;

    /// <summary>Half a cache line: the stride of the smallest entries (a key and a state of at most 24 bytes).</summary>
    public const int HalfLine = 32;

    /// <summary>The most slots a lined array holds (8 GiB; a table whose dense keys need more hashes them instead).</summary>
    public const int MaxSlots = 1 << 26;

    /// <summary>
    /// The distance between two entries of <typeparamref name="TEntry"/>: half a line when the entry fits in
    /// 32 bytes, one line when it fits one, two otherwise. A state then never crosses a line (it starts on a
    /// line or, at the 32-byte stride, half-way through one, and ends before the next entry's key). A JIT-time
    /// constant.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int StrideOf<TEntry>()
        where TEntry : unmanaged
        => Unsafe.SizeOf<TEntry>() <= HalfLine ? HalfLine : Unsafe.SizeOf<TEntry>() <= Line ? Line : MaxStride;

    /// <summary>
    /// Tests set this to have every new array filled with <see cref="StaleFill"/>, as reused memory may hold,
    /// so that a reader of an empty slot's bytes shows up in them (process-wide; readers of occupied slots
    /// are unaffected, so other tests running at the same time still pass).
    /// </summary>
    internal static volatile bool FillNewArraysForTests;

    /// <summary>The pattern <see cref="FillNewArraysForTests"/> writes.</summary>
    internal const ulong StaleFill = 0xA5A5_A5A5_A5A5_A5A5UL;

    /// <summary>
    /// Allocates pinned, uninitialized storage for <paramref name="slots"/> entries whose state lies
    /// <paramref name="stateOffset"/> bytes into the entry, and returns in <paramref name="start"/> the byte
    /// offset of slot 0's entry from the array's data.
    /// </summary>
    public static ulong[] Allocate<TEntry>(int slots, int stateOffset, out nint start)
        where TEntry : unmanaged
    {
        // 8-byte elements: the data is 8-byte aligned like any entry array's, and the length stays an int
        // up to MaxSlots. One line of slack for the shift. Uninitialized: a lined table is in direct mode,
        // where no operation reads the entry of an empty slot (an add writes the key and a zeroed state), and
        // zeroing would touch every page of the array up front, which on this VM costs 6-14 us a page
        // (Kernel.Bench/Notes/aggregate.md, session 15): only the pages of slots that keys take get touched.
        var data = GC.AllocateUninitializedArray<ulong>((int)(((long)slots * StrideOf<TEntry>() + Line) / sizeof(ulong)), pinned: true);
        if (FillNewArraysForTests) data.AsSpan().Fill(StaleFill);
        start = StartOf(data, stateOffset);
        return data;
    }

    private static unsafe nint StartOf(ulong[] data, int stateOffset)
    {
        // Only the address's low bits are used; the array is pinned for its whole life.
        var state0 = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(data)) + stateOffset;
        return -state0 & (Line - 1);
    }

    /// <summary>The number of slots of a lined array.</summary>
    public static int SlotsOf<TEntry>(ulong[] data)
        where TEntry : unmanaged
        => (int)(((long)data.Length * sizeof(ulong) - Line) / StrideOf<TEntry>());

    /// <summary>The entry in <paramref name="slot"/> (range-checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref TEntry At<TEntry>(ulong[] data, nint start, int slot)
        where TEntry : unmanaged
    {
        if ((uint)slot >= (uint)SlotsOf<TEntry>(data)) StateThrowHelper.ThrowSlotOutOfRange(slot);
        return ref Unsafe.As<byte, TEntry>(ref Unsafe.AddByteOffset(ref Unsafe.As<ulong, byte>(ref MemoryMarshal.GetArrayDataReference(data)), start + (nint)slot * StrideOf<TEntry>()));
    }

    /// <summary>Slot 0's entry, from which slot i's is <c>i × StrideOf&lt;TEntry&gt;()</c> bytes further (unchecked; for the fold's view).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref TEntry First<TEntry>(ulong[] data, nint start)
        where TEntry : unmanaged
        => ref Unsafe.As<byte, TEntry>(ref Unsafe.AddByteOffset(ref Unsafe.As<ulong, byte>(ref MemoryMarshal.GetArrayDataReference(data)), start));
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.State;

/// <summary>
/// The entry storage of a <see cref="StateTable{TKey, TState, THasher}"/> in lined direct mode: entries
/// <see cref="Stride"/> bytes apart in a pinned array, from a start chosen so that every entry's STATE begins
/// on a 64-byte cache line (the key sits in the last bytes of the line before it). A fold whose per-event
/// fields are the state's first 64 bytes then touches one line per key, where packed 80-byte entries
/// (key + 72-byte state) touch two.
/// </summary>
/// <remarks>
/// Unsafe in two places only: the array's address is read once, for its low bits, when choosing the start
/// (the array is on the pinned heap, so the alignment holds for its life); and entries are reinterpreted
/// from the array's bytes at <c>start + slot × Stride</c>, range-checked in <see cref="At{TEntry}"/>,
/// unchecked in <see cref="First{TEntry}"/> (for the fold's view, which checks its indices against the
/// table's mask). An entry is unmanaged and at most <see cref="Stride"/> bytes (the table checks both
/// before choosing this layout), so entries never overlap and no GC reference lives in the bytes.
/// </remarks>
internal static class LinedEntries
{
    /// <summary>The distance between two entries: two cache lines.</summary>
    public const int Stride = 128;

    /// <summary>The cache line the states are aligned to.</summary>
    public const int Line = 64;

    /// <summary>The most slots a lined array holds (8 GiB; a table whose dense keys need more hashes them instead).</summary>
    public const int MaxSlots = 1 << 26;

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
    public static ulong[] Allocate(int slots, int stateOffset, out nint start)
    {
        // 8-byte elements: the data is 8-byte aligned like any entry array's, and the length stays an int
        // up to MaxSlots. One line of slack for the shift. Uninitialized: a lined table is in direct mode,
        // where no operation reads the entry of an empty slot (an add writes the key and a zeroed state), and
        // zeroing would touch every page of the array up front, which on this VM costs 6-14 us a page
        // (Kernel.Bench/Notes/aggregate.md, session 15): only the pages of slots that keys take get touched.
        var data = GC.AllocateUninitializedArray<ulong>((int)(((long)slots * Stride + Line) / sizeof(ulong)), pinned: true);
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
    public static int SlotsOf(ulong[] data) => (int)(((long)data.Length * sizeof(ulong) - Line) / Stride);

    /// <summary>The entry in <paramref name="slot"/> (range-checked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref TEntry At<TEntry>(ulong[] data, nint start, int slot)
        where TEntry : unmanaged
    {
        if ((uint)slot >= (uint)SlotsOf(data)) StateThrowHelper.ThrowSlotOutOfRange(slot);
        return ref Unsafe.As<byte, TEntry>(ref Unsafe.AddByteOffset(ref Unsafe.As<ulong, byte>(ref MemoryMarshal.GetArrayDataReference(data)), start + (nint)slot * Stride));
    }

    /// <summary>Slot 0's entry, from which slot i's is <c>i × Stride</c> bytes further (unchecked; for the fold's view).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref TEntry First<TEntry>(ulong[] data, nint start)
        where TEntry : unmanaged
        => ref Unsafe.As<byte, TEntry>(ref Unsafe.AddByteOffset(ref Unsafe.As<ulong, byte>(ref MemoryMarshal.GetArrayDataReference(data)), start));
}

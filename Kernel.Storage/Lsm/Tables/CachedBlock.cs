using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A verified data block as the cache holds it: one byte array with a small header and the
/// first 8 bytes of each restart key (big-endian) in front of the block's bytes, so a point read
/// touches the array's first lines (header, restart prefixes and offsets) and the entry, and no
/// other object (quick suite <c>lsm get-hit</c>: the former block object, its
/// prefix array and the table's side arrays were each a cache miss).
/// <code>
/// +---------+----------+---------+---------+----------------+--------------------+------------------------+
/// | gen i32 | clock u8 | kind u8 | pad u16 | restarts n i32 | block length L i32 | file offset i64        |
/// +---------+----------+---------+---------+----------------+--------------------+------------------------+
/// | restart prefixes: n x u64 LE (each the key's first 8 bytes read big-endian)                           |
/// | restart offsets: n x u32 (a copy of the block's own, next to the prefixes) | block bytes (L) ...      |
/// +----------------------------------------------------------------------------+--------------------------+
/// </code>
/// Arrays of kind <see cref="Recyclable"/> are filled by reads that copy the value out
/// (<see cref="LsmStore.Get(ReadOnlySpan{byte}, Span{byte}, LsmSnapshot?)"/>) and reused for
/// another block once evicted, so a store that outgrows its cache reads without allocating.
/// <c>gen</c> is a sequence lock: even while the array holds one block, odd while it is being
/// refilled. Such readers read the generation, check that the table's slot still holds the
/// array (else it may hold another block by now), and after copying out what they read check
/// that the generation did not change; otherwise they read again. Views handed to callers (a span from <c>TryGet</c>, iterators) never
/// point into a recyclable array: those paths first copy it into a <see cref="Stable"/> array.
/// The generation is read and written through <see cref="Unsafe.As{TFrom, TTo}(ref TFrom)"/>
/// on the array's first 4 bytes (array data is 8-byte aligned), the only unsafe access here.
/// </summary>
internal static class CachedBlock
{
    public const int HeaderBytes = 24;
    public const byte Stable = 0;
    public const byte Recyclable = 1;
    private const int ClockAt = 4;
    private const int KindAt = 5;
    private const int RestartsAt = 8;
    private const int LengthAt = 12;
    private const int FileOffsetAt = 16;

    /// <summary>Bytes of the array for a block of <paramref name="length"/> bytes with <paramref name="restarts"/> restart points.</summary>
    public static int Size(int restarts, int length) => HeaderBytes + 12 * restarts + length;

    public static int RestartCount(byte[] block) => BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(RestartsAt));

    public static int BlockLength(byte[] block) => BinaryPrimitives.ReadInt32LittleEndian(block.AsSpan(LengthAt));

    /// <summary>Where the block's own bytes start.</summary>
    public static int DataStart(byte[] block) => HeaderBytes + 12 * RestartCount(block);

    /// <summary>Where the copy of the restart offsets starts.</summary>
    public static int OffsetsStart(int restarts) => HeaderBytes + 8 * restarts;

    public static ReadOnlySpan<byte> Prefixes(byte[] block) => block.AsSpan(HeaderBytes, 8 * RestartCount(block));

    public static long FileOffset(byte[] block) => BinaryPrimitives.ReadInt64LittleEndian(block.AsSpan(FileOffsetAt));

    public static bool IsRecyclable(byte[] block) => block[KindAt] == Recyclable;

    public static void MarkStable(byte[] block) => block[KindAt] = Stable;

    public static bool IsReferenced(byte[] block) => block[ClockAt] != 0;

    public static void SetReferenced(byte[] block, bool value) => block[ClockAt] = value ? (byte)1 : (byte)0;

    /// <summary>Writes the header (restart prefixes are written by the caller); the generation is left as it is.</summary>
    public static void WriteHeader(byte[] block, byte kind, int restarts, int length, long fileOffset)
    {
        BinaryPrimitives.WriteInt64LittleEndian(block.AsSpan(FileOffsetAt), fileOffset);
        block[ClockAt] = 0;
        block[KindAt] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(RestartsAt), restarts);
        BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(LengthAt), length);
    }

    /// <summary>The generation (acquire).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Generation(byte[] block) => Volatile.Read(ref Unsafe.As<byte, int>(ref block[0]));

    /// <summary>
    /// True when <paramref name="block"/> still holds what it held at generation
    /// <paramref name="generation"/> (an even number): call after copying out what was read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Unchanged(byte[] block, int generation)
    {
        // The reads being validated must complete before the generation is read again: x86 keeps
        // loads in order (and the JIT does not move loads past a volatile load); elsewhere fence.
        if (!X86Base.IsSupported) Interlocked.MemoryBarrier();
        return Generation(block) == generation;
    }

    /// <summary>Starts refilling a recyclable array: the generation turns odd (full fence) before any byte changes.</summary>
    public static void BeginRefill(byte[] block)
    {
        ref var gen = ref Unsafe.As<byte, int>(ref block[0]);
        if ((Volatile.Read(ref gen) & 1) == 0) Interlocked.Increment(ref gen);
    }

    /// <summary>Ends a refill: the generation turns even again (release) after every byte is written.</summary>
    public static void EndRefill(byte[] block)
    {
        ref var gen = ref Unsafe.As<byte, int>(ref block[0]);
        Volatile.Write(ref gen, (Volatile.Read(ref gen) + 1) & ~1);
    }

    /// <summary>The first 8 bytes of a user key, big-endian, zero-padded: orders like the key, ties need a full compare.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Prefix(ReadOnlySpan<byte> userKey)
    {
        if (userKey.Length >= 8) return BinaryPrimitives.ReadUInt64BigEndian(userKey);
        return PrefixShort(userKey);
    }

    private static ulong PrefixShort(ReadOnlySpan<byte> userKey)
    {
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        userKey.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }
}

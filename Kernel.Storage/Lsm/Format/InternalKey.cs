using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Kernel.Storage.Lsm.Format;

/// <summary>
/// Internal keys: the user key followed by an 8-byte trailer that carries the sequence number
/// and the entry kind. Internal keys order by user key (ordinal bytes) ascending, then by
/// sequence descending, so the newest version of a key comes first.
/// <code>
/// +----------------------+-------------------------------------------+
/// | user key (n bytes)   | trailer: u64 LE = sequence &lt;&lt; 8 | kind     |
/// +----------------------+-------------------------------------------+
/// </code>
/// </summary>
internal static class InternalKey
{
    /// <summary>Bytes of the trailer.</summary>
    public const int TrailerBytes = 8;

    /// <summary>The largest sequence number (56 bits).</summary>
    public const ulong MaxSequence = (1UL << 56) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Trailer(ulong sequence, EntryKind kind) => (sequence << 8) | (byte)kind;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> UserKey(ReadOnlySpan<byte> internalKey) => internalKey[..^TrailerBytes];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong TrailerOf(ReadOnlySpan<byte> internalKey) =>
        BinaryPrimitives.ReadUInt64LittleEndian(internalKey[^TrailerBytes..]);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SequenceOf(ReadOnlySpan<byte> internalKey) => TrailerOf(internalKey) >> 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static EntryKind KindOf(ReadOnlySpan<byte> internalKey) => (EntryKind)(byte)TrailerOf(internalKey);

    /// <summary>Writes <c>userKey + trailer</c> into <paramref name="destination"/> and returns the length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> userKey, ulong sequence, EntryKind kind)
    {
        userKey.CopyTo(destination);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[userKey.Length..], Trailer(sequence, kind));
        return userKey.Length + TrailerBytes;
    }

    /// <summary>Orders two internal keys: user key ascending, then trailer (sequence) descending.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var c = KeyOrder.Compare(a[..^TrailerBytes], b[..^TrailerBytes]);
        if (c != 0) return c;
        var ta = TrailerOf(a);
        var tb = TrailerOf(b);
        return ta > tb ? -1 : ta < tb ? 1 : 0;
    }

    /// <summary>Orders an internal key against a user key and a trailer given apart (no copy of the probe).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var c = KeyOrder.Compare(a[..^TrailerBytes], userKey);
        if (c != 0) return c;
        var ta = TrailerOf(a);
        return ta > trailer ? -1 : ta < trailer ? 1 : 0;
    }
}

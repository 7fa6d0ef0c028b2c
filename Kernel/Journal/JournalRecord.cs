using System.Buffers.Binary;
using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Journal;

/// <summary>
/// The payload of one journal record in the log: one event, as raw bytes, with where its source
/// read it. The log record around it carries the event time as its timestamp. Little-endian.
/// <code>
///  0                         8             12            16                       16 + sizeof(T)
///  +-------------------------+-------------+-------------+------------------------+
///  | source position (i64)   | source id   | reserved 0  | event bytes (T, raw)   |
///  | RingEntry.Value         | (i32)       | (u32)       |                        |
///  +-------------------------+-------------+-------------+------------------------+
/// </code>
/// The log's payload fingerprint (<see cref="Fingerprint{T}"/>) ties the bytes to the event's
/// layout: a log written for another layout does not open for this one.
/// </summary>
public static class JournalRecord
{
    /// <summary>Bytes before the event.</summary>
    public const int HeaderLength = 16;

    /// <summary>The version of this record layout; part of the fingerprint.</summary>
    public const int FormatVersion = 1;

    /// <summary>The payload length of a record of <typeparamref name="T"/>.</summary>
    public static int LengthOf<T>() where T : unmanaged => HeaderLength + Unsafe.SizeOf<T>();

    /// <summary>
    /// The log payload fingerprint for events of <typeparamref name="T"/>: a hash of this record
    /// format's version, the event's size and the caller's <paramref name="layoutFingerprint"/>
    /// (which should change whenever the event's fields do, for example a hash of their names and types).
    /// </summary>
    public static ulong Fingerprint<T>(ulong layoutFingerprint) where T : unmanaged
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(bytes[4..], Unsafe.SizeOf<T>());
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], layoutFingerprint);
        return XxHash64.HashToUInt64(bytes);
    }

    /// <summary>Writes a record into <paramref name="destination"/> (exactly <see cref="LengthOf{T}"/> bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Write<T>(Span<byte> destination, long sourcePosition, int sourceId, in T e) where T : unmanaged
    {
        ref var d = ref MemoryMarshal.GetReference(destination);
        Unsafe.WriteUnaligned(ref d, sourcePosition);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, 8), (ulong)(uint)sourceId);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref d, HeaderLength), e);
    }

    /// <summary>Decodes a record; false when <paramref name="payload"/> is not the length of a record of <typeparamref name="T"/>.</summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> payload, out T e, out long sourcePosition, out int sourceId) where T : unmanaged
    {
        if (payload.Length != LengthOf<T>())
        {
            e = default;
            sourcePosition = 0;
            sourceId = 0;
            return false;
        }
        ref var p = ref MemoryMarshal.GetReference(payload);
        sourcePosition = Unsafe.ReadUnaligned<long>(ref p);
        sourceId = Unsafe.ReadUnaligned<int>(ref Unsafe.Add(ref p, 8));
        e = Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref p, HeaderLength));
        return true;
    }
}

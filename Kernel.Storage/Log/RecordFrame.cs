using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Log;

/// <summary>
/// The frame of one record inside a segment. Frames start at 8-byte-aligned positions; all
/// integers are little-endian.
/// <code>
///  0             4             8                             16                               16+len      align 8
///  +-------------+-------------+-----------------------------+--------------------------------+-----------+
///  | frame length| CRC-32C     | timestamp (event time, i64) | payload (len = frame len - 16) | zero pad  |
///  | u32 = 16+len| u32         |                             |                                |  0..7 B   |
///  +-------------+-------------+-----------------------------+--------------------------------+-----------+
/// </code>
/// The CRC covers, in this order: the record's logical offset (8 bytes, not stored: it is the
/// segment's base offset plus the record's index), the frame length, the timestamp, and the payload
/// with its padding. Seeding it with the offset means a record is only valid at the place it was
/// written. A frame length of 0 marks the end of the data (segments are zero-filled when created
/// and zeroed again on truncation), so the smallest valid frame length is 16.
/// </summary>
internal static class RecordFrame
{
    /// <summary>Bytes before the payload.</summary>
    public const int HeaderLength = 16;

    /// <summary>Frames start at multiples of this.</summary>
    public const int Alignment = 8;

    /// <summary>The aligned size of a frame whose payload has <paramref name="payloadLength"/> bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long AlignedLength(long payloadLength) => (HeaderLength + payloadLength + (Alignment - 1)) & ~(long)(Alignment - 1);

    /// <summary>The finished CRC of a frame; <paramref name="paddedPayload"/> includes the padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Checksum(long offset, uint frameLength, long timestamp, ReadOnlySpan<byte> paddedPayload)
    {
        var state = BitOperations.Crc32C(uint.MaxValue, (ulong)offset);
        state = BitOperations.Crc32C(state, frameLength);
        state = BitOperations.Crc32C(state, (ulong)timestamp);
        return ~AppendPayload(state, paddedPayload);
    }

    /// <summary>
    /// Continues a raw CRC-32C state over payload bytes: by folding (<see cref="FoldingCrc32C"/>) from
    /// <see cref="FoldingMinLength"/> bytes where the CPU can, else in three interleaved <c>crc32</c> lanes
    /// (<see cref="InterleavedCrc32C"/>; sequential below 384 bytes).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint AppendPayload(uint state, ReadOnlySpan<byte> payload) =>
        FoldingCrc32C.IsSupported && payload.Length >= FoldingMinLength
            ? FoldingCrc32C.Append(state, payload)
            : InterleavedCrc32C.Append(state, payload);

    /// <summary>
    /// Payloads from this length are checksummed by folding where the CPU can: below it the
    /// one-<c>crc32</c>-per-word loop is as fast (the fold's final reduction costs about as much as
    /// 16 words; session 10, 2026-12-01).
    /// </summary>
    public const int FoldingMinLength = 128;

    /// <summary>
    /// Payloads shorter than this are copied and checksummed in one pass (<see cref="CopyAndChecksum"/>);
    /// where the CPU folds (<see cref="FoldingCrc32C.IsSupported"/>), payloads of every length are.
    /// </summary>
    public const int FusedCopyLimit = 384;

    /// <summary>True when a payload of <paramref name="length"/> bytes goes through <see cref="CopyAndChecksum"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Fuses(int length) => FoldingCrc32C.IsSupported || length < FusedCopyLimit;

    /// <summary>
    /// Copies <paramref name="payload"/> to <paramref name="destination"/> (the frame's payload
    /// bytes, with room for the padding) and returns the frame's finished CRC, reading the payload
    /// once: each 8-byte word is stored and fed to the <c>crc32</c> instruction. The last partial
    /// word is stored zero-extended, which writes the (zero) padding and checksums it, so the
    /// result equals <see cref="Checksum"/> over the padded payload. From <see cref="FoldingMinLength"/>
    /// bytes, where the CPU can, the copy rides on the folding's 64-byte loads (<see cref="FoldingCrc32C.CopyAndAppend"/>).
    /// Only for lengths where <see cref="Fuses"/> is true.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint CopyAndChecksum(long offset, uint frameLength, long timestamp, ReadOnlySpan<byte> payload, ref byte destination)
    {
        var state = BitOperations.Crc32C(uint.MaxValue, (ulong)offset);
        state = BitOperations.Crc32C(state, frameLength);
        state = BitOperations.Crc32C(state, (ulong)timestamp);
        if (FoldingCrc32C.IsSupported && payload.Length >= FoldingMinLength)
            return ~FoldingCrc32C.CopyAndAppend(state, payload, ref destination);
        return ~FoldingCrc32C.CopyAndAppendWords(state, ref MemoryMarshal.GetReference(payload), payload.Length, 0, ref destination);
    }

    /// <summary>Writes the 16-byte frame header at <paramref name="frame"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void WriteHeader(ref byte frame, uint frameLength, uint crc, long timestamp)
    {
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref frame, 8), timestamp);
        // Length and CRC go in one 8-byte store so a reader in another process never sees one without the other.
        Unsafe.WriteUnaligned(ref frame, frameLength | ((ulong)crc << 32));
    }

    /// <summary>Reads the frame length stored at <paramref name="frame"/> (0 = end of data).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint ReadLength(ref byte frame) => Unsafe.ReadUnaligned<uint>(ref frame);

    /// <summary>
    /// Checks the frame at <paramref name="position"/> of <paramref name="region"/>, which must end
    /// at or before <paramref name="limit"/>, as the record at <paramref name="offset"/>.
    /// Returns the aligned frame length, 0 for end of data, or -1 when the frame is torn or bad.
    /// </summary>
    public static long Validate(MappedRegion region, long position, long limit, long offset, out long timestamp)
    {
        timestamp = 0;
        if (position + HeaderLength > limit)
            return position >= limit || !region.Span(position, (int)(limit - position)).ContainsAnyExcept((byte)0) ? 0 : -1;
        ref var frame = ref region.At(position);
        var length = ReadLength(ref frame);
        if (length == 0) return 0;
        if (length < HeaderLength) return -1;
        var aligned = AlignedLength(length - HeaderLength);
        if (position + aligned > limit) return -1;
        var crc = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref frame, 4));
        timestamp = Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref frame, 8));
        var padded = region.Span(position + HeaderLength, (int)(aligned - HeaderLength));
        return Checksum(offset, length, timestamp, padded) == crc ? aligned : -1;
    }

    /// <summary>Views the payload of a validated frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> Payload(MappedRegion region, long position) =>
        region.Span(position + HeaderLength, (int)(ReadLength(ref region.At(position)) - HeaderLength));

    /// <summary>The payload length a frame header claims, for reports.</summary>
    public static int ClaimedPayload(ReadOnlySpan<byte> header) => (int)MemoryMarshal.Read<uint>(header) - HeaderLength;
}

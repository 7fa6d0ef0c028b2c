using System.Buffers.Binary;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A verified data block as the cache holds it: its bytes (and checksum) plus the first 8 bytes
/// of each restart key, big-endian, so a point read binary-searches a small array instead of
/// touching a cache line per restart key (quick suite <c>lsm get-hit</c>). Immutable.
/// </summary>
internal sealed class CachedBlock
{
    public CachedBlock(byte[] data, int length, string path, long fileOffset)
    {
        Data = data;
        Length = length;
        var cursor = new BlockIterator();
        cursor.Reset(data, length, path, fileOffset);
        RestartPrefixes = cursor.RestartPrefixes();
    }

    public byte[] Data { get; }
    public int Length { get; }
    public ulong[] RestartPrefixes { get; }

    /// <summary>The first 8 bytes of a user key, big-endian, zero-padded: orders like the key, ties need a full compare.</summary>
    public static ulong Prefix(ReadOnlySpan<byte> userKey)
    {
        if (userKey.Length >= 8) return BinaryPrimitives.ReadUInt64BigEndian(userKey);
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        userKey.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }
}

using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Lsm.Wal;

/// <summary>Replays a write-ahead log (format drawn in <see cref="WalWriter"/>) up to its first incomplete record.</summary>
internal static class WalReader
{
    /// <summary>Calls <paramref name="apply"/> with (first sequence, ops) for each whole record.</summary>
    public static void Replay(string path, Action<ulong, byte[]> apply)
    {
        var bytes = File.ReadAllBytes(path);
        var pos = 0;
        while (pos + 16 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            if (length < 8 || pos + 8L + length > bytes.Length) return;
            var body = bytes.AsSpan(pos + 8, length);
            if (Crc32C.Compute(body) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 4))) return;
            apply(BinaryPrimitives.ReadUInt64LittleEndian(body), body[8..].ToArray());
            pos += 8 + length;
        }
    }
}

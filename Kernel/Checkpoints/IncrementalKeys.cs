using System.Buffers.Binary;
using System.Text;

namespace Kernel.Checkpoints;

// Keys of operator state in the LSM store (incremental checkpoints):
//
//   prefix                     bucket id (16)                       key (K)
//   ┌───────────────────────┬──────────────────┬──────────────────┬─────────────────┐
//   │ aggregation name UTF-8 │ 0x00 │ start ^ 2^63 (u64 BE) │ end ^ 2^63 (u64 BE) │ key bytes, raw  │
//   └───────────────────────┴──────────────────┴──────────────────┴─────────────────┘
//
// The sign bit is flipped so that byte order is numeric order: one window's entries are contiguous
// and a dropped window is one range delete [prefix‖id, successor(prefix‖id)). Values are the
// aggregate's raw bytes (A), the revision (i32 LE) and the changed flag (u8): the per-entry tail of the
// operator snapshot format, so a scan rebuilds a full snapshot by concatenation.
internal static class IncrementalKeys
{
    public const int BucketIdSize = 16;

    /// <summary>The prefix of every key of <paramref name="participant"/>'s state.</summary>
    public static byte[] Prefix(string participant)
    {
        var name = Encoding.UTF8.GetBytes(participant);
        var prefix = new byte[name.Length + 1];
        name.CopyTo(prefix, 0);
        return prefix;
    }

    public static void WriteBucketId(Span<byte> destination, long start, long end)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)start ^ (1UL << 63));
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], (ulong)end ^ (1UL << 63));
    }

    public static (long Start, long End) ReadBucketId(ReadOnlySpan<byte> source) =>
        ((long)(BinaryPrimitives.ReadUInt64BigEndian(source) ^ (1UL << 63)), (long)(BinaryPrimitives.ReadUInt64BigEndian(source[8..]) ^ (1UL << 63)));

    /// <summary>
    /// Turns <paramref name="key"/> into the smallest byte string greater than every string it prefixes
    /// (in place: the last byte below 0xFF is incremented and the rest cut off); returns its length, or
    /// −1 when none exists (all 0xFF).
    /// </summary>
    public static int ToSuccessor(Span<byte> key)
    {
        for (var i = key.Length - 1; i >= 0; i--)
        {
            if (key[i] != 0xFF)
            {
                key[i]++;
                return i + 1;
            }
        }
        return -1;
    }
}

using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A blocked bloom filter over the user keys of one table: the high half of a 64-bit hash picks
/// one 64-byte block (one cache line), the low half sets or tests k bits inside it by double
/// hashing. A probe touches one cache line instead of k (quick suite <c>lsm get-hit/get-miss</c>).
/// <code>
/// +-------------------------------------------+--------+
/// | blocks, 64 bytes each (n * bpk bits, up)  | k (u8) |
/// +-------------------------------------------+--------+
/// </code>
/// </summary>
internal static class BloomFilter
{
    private const int BlockBytes = 64;

    /// <summary>The hash every probe and insert uses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    /// <summary>Builds the filter for <paramref name="hashes"/>.</summary>
    public static byte[] Build(List<ulong> hashes, int bitsPerKey)
    {
        var k = Math.Clamp((int)Math.Round(bitsPerKey * 0.69), 1, 30);
        var blocks = Math.Max(1, (hashes.Count * (long)bitsPerKey + 511) / 512);
        var filter = new byte[blocks * BlockBytes + 1];
        foreach (var h in hashes)
        {
            var at = BlockOf(h, (uint)blocks) * BlockBytes;
            var h1 = (uint)h;
            var delta = (h1 >> 17) | (h1 << 15) | 1;
            for (var i = 0; i < k; i++)
            {
                var bit = h1 & 511;
                filter[at + (int)(bit >> 3)] |= (byte)(1 << (int)(bit & 7));
                h1 += delta;
            }
        }
        filter[^1] = (byte)k;
        return filter;
    }

    /// <summary>False when the key is certainly absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MayContain(byte[] filter, ulong hash) => MayContain(filter, filter.Length, hash);

    /// <summary>As <see cref="MayContain(byte[], ulong)"/> for a filter of <paramref name="length"/> bytes at the start of <paramref name="filter"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MayContain(byte[] filter, int length, ulong hash)
    {
        if (length < BlockBytes + 1) return true;
        var blocks = (uint)((length - 1) / BlockBytes);
        int k = filter[length - 1];
        var at = BlockOf(hash, blocks) * BlockBytes;
        var h1 = (uint)hash;
        var delta = (h1 >> 17) | (h1 << 15) | 1;
        for (var i = 0; i < k; i++)
        {
            var bit = h1 & 511;
            if ((filter[at + (int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0) return false;
            h1 += delta;
        }
        return true;
    }

    /// <summary>The line (64-byte block) of a filter of <paramref name="lines"/> lines that <paramref name="hash"/> probes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int LineOf(ulong hash, int lines) => BlockOf(hash, (uint)lines);

    /// <summary>
    /// As <see cref="MayContain(byte[], int, ulong)"/> for the line at <paramref name="at"/> of
    /// <paramref name="partition"/> (the part of a partitioned filter that holds it), <paramref name="k"/> probes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool LineMayContain(byte[] partition, int at, int k, ulong hash)
    {
        var line = partition.AsSpan(at, BlockBytes);
        var h1 = (uint)hash;
        var delta = (h1 >> 17) | (h1 << 15) | 1;
        for (var i = 0; i < k; i++)
        {
            var bit = h1 & 511;
            if ((line[(int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0) return false;
            h1 += delta;
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int BlockOf(ulong hash, uint blocks) => (int)(((hash >> 32) * blocks) >> 32);
}

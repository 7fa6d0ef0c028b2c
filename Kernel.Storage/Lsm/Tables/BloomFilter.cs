using System.IO.Hashing;
using System.Runtime.CompilerServices;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A bloom filter over the user keys of one table, probed with double hashing of one 64-bit hash.
/// <code>
/// +--------------------------------+--------+
/// | bit array (ceil(n*bpk/8) bytes) | k (u8) |
/// +--------------------------------+--------+
/// </code>
/// </summary>
internal static class BloomFilter
{
    /// <summary>The hash every probe and insert uses.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(ReadOnlySpan<byte> userKey) => XxHash3.HashToUInt64(userKey);

    /// <summary>Builds the filter for <paramref name="hashes"/>.</summary>
    public static byte[] Build(List<ulong> hashes, int bitsPerKey)
    {
        var k = Math.Clamp((int)Math.Round(bitsPerKey * 0.69), 1, 30);
        var bits = Math.Max(64, hashes.Count * bitsPerKey);
        var bytes = (bits + 7) / 8;
        bits = bytes * 8;
        var filter = new byte[bytes + 1];
        foreach (var h in hashes)
        {
            var h1 = (uint)h;
            var delta = (uint)(h >> 32) | 1;
            for (var i = 0; i < k; i++)
            {
                var bit = (uint)(h1 % (uint)bits);
                filter[bit >> 3] |= (byte)(1 << (int)(bit & 7));
                h1 += delta;
            }
        }
        filter[bytes] = (byte)k;
        return filter;
    }

    /// <summary>False when the key is certainly absent.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool MayContain(byte[] filter, ulong hash)
    {
        if (filter.Length < 2) return true;
        var bytes = filter.Length - 1;
        var bits = (uint)bytes * 8;
        int k = filter[bytes];
        var h1 = (uint)hash;
        var delta = (uint)(hash >> 32) | 1;
        for (var i = 0; i < k; i++)
        {
            var bit = h1 % bits;
            if ((filter[bit >> 3] & (1 << (int)(bit & 7))) == 0) return false;
            h1 += delta;
        }
        return true;
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Kernel.Storage.Lsm.Format;

/// <summary>
/// Ordinal order of user keys (unsigned bytes, shorter first on a common prefix), inlined: the
/// first 16 bytes are compared as two big-endian words, the rest (rare) by
/// <see cref="MemoryExtensions.SequenceCompareTo{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>.
/// A point read compares about eight keys; the out-of-line call was a fifth of its profile
/// (quick suite <c>lsm get-hit</c>, perf record). Only the sign of the result is meaningful.
/// </summary>
internal static class KeyOrder
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length >= 8 && b.Length >= 8)
        {
            var x = BinaryPrimitives.ReadUInt64BigEndian(a);
            var y = BinaryPrimitives.ReadUInt64BigEndian(b);
            if (x != y) return x < y ? -1 : 1;
            if (a.Length >= 16 && b.Length >= 16)
            {
                x = BinaryPrimitives.ReadUInt64BigEndian(a[8..]);
                y = BinaryPrimitives.ReadUInt64BigEndian(b[8..]);
                if (x != y) return x < y ? -1 : 1;
                if (a.Length == 16 && b.Length == 16) return 0;
                return a[16..].SequenceCompareTo(b[16..]);
            }
            return a[8..].SequenceCompareTo(b[8..]);
        }
        return a.SequenceCompareTo(b);
    }
}

using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// An open-addressing index from keys to ids, kept in caller-owned arrays so the owner moves ids
/// around (heaps, compaction) and keeps the index in step. Linear probing over 2^bits slots,
/// Fibonacci hashing of the key's hash code, load ≤ 1/2, backward-shift deletion (no tombstones).
/// </summary>
/// <remarks>
/// A slot holds id + 1 (0 = empty); <c>keys[id]</c> is the id's key and <c>slotOf[id]</c> the slot
/// holding it. Callers keep both arrays current whenever an id moves.
/// </remarks>
internal static class KeyIndex
{
    /// <summary>log2 of the smallest power of two ≥ 2·<paramref name="count"/>, at least 4.</summary>
    public static int BitsFor(int count)
    {
        var bits = 4;
        while ((1L << bits) < 2L * count)
            bits++;
        return bits;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Home<TKey>(in TKey key, int bits) where TKey : unmanaged, IEquatable<TKey> =>
        (int)(((ulong)(uint)key.GetHashCode() * 0x9E3779B97F4A7C15UL) >> (64 - bits));

    /// <summary>The id of <paramref name="key"/>, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Find<TKey>(int[] index, int bits, TKey[] keys, in TKey key) where TKey : unmanaged, IEquatable<TKey>
    {
        var mask = index.Length - 1;
        var slot = Home(in key, bits);
        while (true)
        {
            var entry = index[slot];
            if (entry == 0)
                return -1;
            if (keys[entry - 1].Equals(key))
                return entry - 1;
            slot = (slot + 1) & mask;
        }
    }

    /// <summary>Adds <paramref name="id"/> (whose key is <c>keys[id]</c>, not yet present).</summary>
    public static void Insert<TKey>(int[] index, int bits, TKey[] keys, int[] slotOf, int id) where TKey : unmanaged, IEquatable<TKey>
    {
        var mask = index.Length - 1;
        var slot = Home(in keys[id], bits);
        while (index[slot] != 0)
            slot = (slot + 1) & mask;
        index[slot] = id + 1;
        slotOf[id] = slot;
    }

    /// <summary>Empties <paramref name="slot"/> and shifts back the probe chain behind it.</summary>
    public static void Remove<TKey>(int[] index, int bits, TKey[] keys, int[] slotOf, int slot) where TKey : unmanaged, IEquatable<TKey>
    {
        var mask = index.Length - 1;
        var hole = slot;
        var next = (slot + 1) & mask;
        while (index[next] != 0)
        {
            var id = index[next] - 1;
            var home = Home(in keys[id], bits);
            // Move the entry into the hole unless its home lies cyclically in (hole, next].
            if (((next - home) & mask) >= ((next - hole) & mask))
            {
                index[hole] = index[next];
                slotOf[id] = hole;
                hole = next;
            }
            next = (next + 1) & mask;
        }
        index[hole] = 0;
    }
}

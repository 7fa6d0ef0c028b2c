using System.Buffers.Binary;

namespace Kernel.Bench.Lsm;

/// <summary>
/// Keys and values of the quick suite: 16-byte keys, 8-byte values. Sequential keys are
/// big-endian (group = i / 100 000, i) so an 8-byte prefix selects exactly 100 000 keys.
/// Random keys are seeded random 16-byte strings; misses are other random keys.
/// </summary>
public sealed class LsmBenchData
{
    /// <summary>Keys in the store.</summary>
    public const int Count = 1_000_000;

    /// <summary>Keys selected by one prefix.</summary>
    public const int PrefixKeys = 100_000;

    /// <summary>Creates the data set.</summary>
    public LsmBenchData(int seed = 42)
    {
        var rng = new Random(seed);
        Random = new byte[Count * 16];
        rng.NextBytes(Random);
        Misses = new byte[Count * 16];
        rng.NextBytes(Misses);
        for (var i = 0; i < Count; i++) Misses[i * 16] |= 0x01;   // odd first byte: never a random hit below
        for (var i = 0; i < Count; i++) Random[i * 16] &= 0xFE;
        Sequential = new byte[Count * 16];
        for (var i = 0; i < Count; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(Sequential.AsSpan(i * 16), (ulong)(i / PrefixKeys));
            BinaryPrimitives.WriteUInt64BigEndian(Sequential.AsSpan(i * 16 + 8), (ulong)i);
        }
        GetOrder = Enumerable.Range(0, Count).ToArray();
        rng.Shuffle(GetOrder);
    }

    /// <summary>Random keys, 16 bytes each, back to back.</summary>
    public byte[] Random { get; }

    /// <summary>Keys that are not in the store.</summary>
    public byte[] Misses { get; }

    /// <summary>Sequential keys.</summary>
    public byte[] Sequential { get; }

    /// <summary>A shuffled order of indexes for gets.</summary>
    public int[] GetOrder { get; }

    /// <summary>Key <paramref name="i"/> of <paramref name="keys"/>.</summary>
    public static ReadOnlySpan<byte> Key(byte[] keys, int i) => keys.AsSpan(i * 16, 16);

    /// <summary>The key as ZoneTree's struct.</summary>
    public static Key16 Key16Of(byte[] keys, int i) => new()
    {
        Hi = BinaryPrimitives.ReadUInt64BigEndian(keys.AsSpan(i * 16)),
        Lo = BinaryPrimitives.ReadUInt64BigEndian(keys.AsSpan(i * 16 + 8)),
    };

    /// <summary>Fills <paramref name="value"/> (8 bytes) for key <paramref name="i"/>.</summary>
    public static void ValueOf(int i, Span<byte> value) => BinaryPrimitives.WriteInt64LittleEndian(value, i);
}

using System.Buffers.Binary;

namespace Kernel.Bench.Lsm;

/// <summary>
/// Keys and values of the quick suite: 16-byte keys, 8-byte values. Sequential keys are
/// big-endian (group = i / 100 000, i) so an 8-byte prefix selects exactly 100 000 keys.
/// Random keys are seeded random 16-byte strings; misses are other random keys.
/// </summary>
public sealed class LsmBenchData
{
    /// <summary>
    /// Keys in the store: 1M in quick mode; the full suite sets <c>KERNEL_LSM_KEYS</c> (e.g.
    /// <c>KERNEL_LSM_KEYS=10000000</c> for the 10M-key run of issue 6).
    /// </summary>
    public static int Count { get; } = KeysFromEnvironment();

    private static int KeysFromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable("KERNEL_LSM_KEYS");
        if (string.IsNullOrEmpty(text)) return 1_000_000;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n < PrefixKeys * 10 || n > 100_000_000)
            throw new ArgumentException($"KERNEL_LSM_KEYS={text}: expected a key count from {PrefixKeys * 10} to 100000000");
        return n;
    }

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
        var order = Enumerable.Range(0, Count).ToArray();
        rng.Shuffle(order);
        GetOrder = order.AsSpan(0, GetCount).ToArray();
    }

    /// <summary>Random keys, 16 bytes each, back to back.</summary>
    public byte[] Random { get; }

    /// <summary>Keys that are not in the store.</summary>
    public byte[] Misses { get; }

    /// <summary>Sequential keys.</summary>
    public byte[] Sequential { get; }

    /// <summary>Gets per timed pass: every key at 1M, 1M of them (as issue 6 asks) in a larger store.</summary>
    public static int GetCount => Math.Min(Count, 1_000_000);

    /// <summary>A shuffled order of <see cref="GetCount"/> distinct indexes for gets.</summary>
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

using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Tests.Operators;

/// <summary>
/// Damage done to snapshot bytes by the restore-atomicity tests. A flipped bit or a cut is what a disk or
/// a torn write does; the checksums catch it. Damage "under the seal" changes bytes and then computes the
/// checksum that covers them again: it stands for bytes that were wrong before the writer checksummed them
/// (a writer bug, a bit flipped in memory), which only the reader's structural checks can refuse.
/// </summary>
internal static class SnapshotDamage
{
    // The side-state trailer a spec with sketches appends (SideStateSnapshot.cs):
    // [operator state, A bytes] [side state, S bytes] [S: i32] [CRC-32C of the side state: u32] [A: i32]
    private const int SideTrailer = 12;

    /// <summary>A copy of <paramref name="bytes"/> with one bit in [<paramref name="from"/>, <paramref name="to"/>) flipped; <paramref name="bit"/> says which.</summary>
    public static byte[] FlipBit(byte[] bytes, int from, int to, Random rng, out long bit)
    {
        Assert.True(to > from, $"nothing to damage in [{from}, {to})");
        var copy = bytes.ToArray();
        var offset = rng.Next(from, to);
        var shift = rng.Next(8);
        copy[offset] ^= (byte)(1 << shift);
        bit = offset * 8L + shift;
        return copy;
    }

    /// <summary><see cref="FlipBit(byte[], int, int, Random, out long)"/>, saying which bit as text for an assertion message.</summary>
    public static byte[] FlipBitNamed(byte[] bytes, int from, int to, Random rng, out string where)
    {
        var damaged = FlipBit(bytes, from, to, rng, out long bit);
        where = $"bit {bit}";
        return damaged;
    }

    /// <summary>The first <paramref name="length"/> bytes of <paramref name="bytes"/>, a cut at a random place (a torn write).</summary>
    public static byte[] Truncate(byte[] bytes, Random rng, out int length)
    {
        length = rng.Next(0, bytes.Length);
        return bytes.AsSpan(0, length).ToArray();
    }

    /// <summary>Where the operator's own part ends and how long the side state is, read from the trailer.</summary>
    public static (int StateLength, int SideLength) SideSplit(byte[] snapshot)
    {
        var end = snapshot.Length - SideTrailer;
        var side = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(end));
        var state = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(end + 8));
        Assert.Equal(end, state + side);
        return (state, side);
    }

    /// <summary>The operator's own part of a snapshot with side state.</summary>
    public static byte[] StatePart(byte[] snapshot) => snapshot.AsSpan(0, SideSplit(snapshot).StateLength).ToArray();

    /// <summary>A snapshot with side state whose operator part is <paramref name="state"/> and whose side state is <paramref name="snapshot"/>'s.</summary>
    public static byte[] WithStatePart(byte[] snapshot, byte[] state)
    {
        var (length, sideLength) = SideSplit(snapshot);
        var result = new byte[state.Length + sideLength + SideTrailer];
        state.CopyTo(result, 0);
        snapshot.AsSpan(length, sideLength + SideTrailer).CopyTo(result.AsSpan(state.Length));
        BinaryPrimitives.WriteInt32LittleEndian(result.AsSpan(result.Length - 4), state.Length);
        return result;
    }

    /// <summary>Writes the CRC-32C of all but the last 4 bytes of <paramref name="section"/> into those 4 bytes.</summary>
    public static void Reseal(Span<byte> section) =>
        BinaryPrimitives.WriteUInt32LittleEndian(section[^4..], Crc32C.Compute(section[..^4]));

    /// <summary>Computes the side-state trailer's CRC again, over the side state as it now is.</summary>
    public static void ResealSide(byte[] snapshot)
    {
        var (state, side) = SideSplit(snapshot);
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(snapshot.Length - 8), Crc32C.Compute(snapshot.AsSpan(state, side)));
    }

    /// <summary>
    /// The sketches of the side state's pools, in order (SketchPool.cs: live u32, high-water u32, rents i64,
    /// then per live sketch its handle i32, length i32 and serialized form): per pool, the offset and length of
    /// each sketch's serialized form in <paramref name="snapshot"/>.
    /// </summary>
    public static List<List<(int At, int Length)>> SideSketches(byte[] snapshot, int pools)
    {
        var (at, side) = SideSplit(snapshot);
        var end = at + side;
        var result = new List<List<(int At, int Length)>>();
        for (var p = 0; p < pools; p++)
        {
            var live = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at));
            at += 16;
            var sketches = new List<(int At, int Length)>();
            for (var n = 0; n < live; n++)
            {
                var length = BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 4));
                sketches.Add((at + 8, length));
                at += 8 + length;
            }
            result.Add(sketches);
        }
        Assert.Equal(end, at);
        return result;
    }

    /// <summary>
    /// A copy of a snapshot with side state in which one bit of a sketch of pool <paramref name="pool"/> is
    /// flipped under the side state's seal: the sketch's own frame CRC refuses it, after the pools before it read well.
    /// </summary>
    public static byte[] FlipSketchBitUnderSeal(byte[] snapshot, int pools, int pool, Random rng, out long bit)
    {
        var sketches = SideSketches(snapshot, pools)[pool].Where(s => s.Length > 0).ToList();
        Assert.True(sketches.Count > 0, $"pool {pool} holds no serialized sketch to damage");
        var (at, length) = sketches[rng.Next(sketches.Count)];
        var damaged = FlipBit(snapshot, at, at + length, rng, out bit);
        ResealSide(damaged);
        return damaged;
    }

    /// <summary>
    /// The damages every operator with side state (two sketch pools) is tried with, by the name its test's
    /// <c>Damage</c> enum gives them: <c>StateBit</c> (a bit of the operator's own part), <c>SideBit</c> (a bit of the side
    /// state), <c>SecondPoolUnderSeal</c> (a bit of a second-pool sketch, resealed) and <c>Truncated</c> (cut short). False
    /// for any other name: the test's own damage.
    /// </summary>
    public static bool TryApplyShared(string damage, byte[] snapshot, Random rng, out byte[] damaged, out string where)
    {
        var (stateLength, sideLength) = SideSplit(snapshot);
        long bit;
        switch (damage)
        {
            case "StateBit":
                damaged = FlipBitNamed(snapshot, 0, stateLength, rng, out where);
                return true;
            case "SideBit":
                damaged = FlipBitNamed(snapshot, stateLength, stateLength + sideLength, rng, out where);
                return true;
            case "SecondPoolUnderSeal":
                damaged = FlipSketchBitUnderSeal(snapshot, pools: 2, pool: 1, rng, out bit);
                where = $"bit {bit}";
                return true;
            case "Truncated":
                damaged = Truncate(snapshot, rng, out var length);
                where = $"cut to {length} of {snapshot.Length} bytes";
                return true;
            default:
                damaged = [];
                where = string.Empty;
                return false;
        }
    }

    /// <summary>
    /// Asserts two descriptions of an operator (lines: counters, a snapshot hash, rows) are the same, naming the
    /// first line that differs.
    /// </summary>
    public static void AssertSame(List<string> expected, List<string> actual, string what)
    {
        var at = 0;
        while (at < Math.Min(expected.Count, actual.Count) && expected[at] == actual[at]) at++;
        Assert.True(expected.Count == actual.Count && at == expected.Count,
            $"{what}: line {at} is \"{(at < actual.Count ? actual[at] : "(none)")}\", expected \"{(at < expected.Count ? expected[at] : "(none)")}\"");
    }
}

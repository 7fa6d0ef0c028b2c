using System.Buffers;
using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Operators;

/// <summary>
/// The side-state section an operator appends to its state snapshot when its spec keeps sketches:
///
/// <code>
///  [operator state, A bytes] [side state, S bytes] [S: i32] [CRC-32C of the side state: u32] [A: i32]
/// </code>
///
/// The trailing lengths let a reader split the two without parsing the operator's own format, and
/// the CRC covers the sketches (each sketch also carries its own frame and CRC).
/// </summary>
internal static class SideStateSnapshot
{
    private const int TrailerSize = 12;

    /// <summary>Appends the side state and the trailer; returns the bytes appended.</summary>
    public static int Write(IBufferWriter<byte> output, SideState side, int stateLength)
    {
        var body = new ArrayBufferWriter<byte>(256);
        side.WriteSnapshot(body);
        var total = body.WrittenCount + TrailerSize;
        var span = output.GetSpan(total);
        body.WrittenSpan.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[body.WrittenCount..], body.WrittenCount);
        BinaryPrimitives.WriteUInt32LittleEndian(span[(body.WrittenCount + 4)..], Crc32C.Compute(body.WrittenSpan));
        BinaryPrimitives.WriteInt32LittleEndian(span[(body.WrittenCount + 8)..], stateLength);
        output.Advance(total);
        return total;
    }

    /// <summary>
    /// Restores the side-state bytes <see cref="Split"/> returned into <paramref name="scratch"/>, a fresh side
    /// state of the same spec, so that every sketch pool and sketch runs its own checks before the operator
    /// changes anything. The operator restores its own side state from the same bytes once the rest of the
    /// snapshot is checked too (they then restore without error).
    /// </summary>
    /// <remarks>
    /// Call it after the operator's header checks, not before: sketch settings (a distinct count's precision,
    /// for one) are part of the state fingerprint, so a snapshot written under other settings
    /// is refused by the fingerprint check, with the message that names the aggregation and says its state
    /// schema changed, rather than by a sketch pool that names only a field.
    /// </remarks>
    /// <exception cref="InvalidDataException">The side state is damaged or written for other sketch settings.</exception>
    public static void Check(ReadOnlySpan<byte> side, SideState scratch) => scratch.RestoreSnapshot(side);

    /// <summary>Splits <paramref name="snapshot"/> into the operator's own part (returned) and the checked side-state bytes.</summary>
    /// <exception cref="InvalidDataException">The trailer is damaged or the side state's CRC does not match.</exception>
    public static ReadOnlySpan<byte> Split(ReadOnlySpan<byte> snapshot, string name, out ReadOnlySpan<byte> side)
    {
        if (snapshot.Length < TrailerSize) Throw(name, 0, $"{snapshot.Length} bytes cannot hold the side-state trailer");
        var end = snapshot.Length - TrailerSize;
        var sideLength = BinaryPrimitives.ReadInt32LittleEndian(snapshot[end..]);
        var crc = BinaryPrimitives.ReadUInt32LittleEndian(snapshot[(end + 4)..]);
        var stateLength = BinaryPrimitives.ReadInt32LittleEndian(snapshot[(end + 8)..]);
        if (stateLength < 0 || sideLength < 0 || (long)stateLength + sideLength != end)
            Throw(name, end, $"lengths {stateLength} + {sideLength} do not add up to {end}");
        side = snapshot.Slice(stateLength, sideLength);
        if (Crc32C.Compute(side) != crc) Throw(name, end + 4, "CRC-32C of the side state does not match");
        return snapshot[..stateLength];
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Throw(string name, int offset, string reason) =>
        throw new InvalidDataException($"side state of aggregation '{name}' at offset {offset}: {reason}");
}

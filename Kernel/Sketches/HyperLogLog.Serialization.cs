using System.Buffers.Binary;

namespace Kernel.Sketches;

public sealed partial class HyperLogLog
{
    // Serialized form (inside SketchFrame; offsets from the start, little-endian):
    //
    //  offset  size   field
    //  ------  -----  --------------------------------------------------------------
    //      12  1      precision   p, 4..18
    //      13  1      encoding    0 = sparse, 1 = dense
    //      14  2      reserved    0
    //      16  4      count       sparse: entries; dense: m = 2^p
    //      20  …      payload
    //                   sparse: entries sorted ascending, each as the LEB128 varint of its
    //                           difference from the previous one (the first from 0)
    //                   dense:  registers packed 6 bits each, 4 registers in 3 bytes:
    //                           b0 = r0 | r1<<6, b1 = r1>>2 | r2<<4, b2 = r2>>4 | r3<<2
    //   len-4  4      crc32c      (frame trailer)
    private const ushort FormatVersion = 1;
    private const int BodyFixed = 8;
    private const string FormatName = "HyperLogLog";
    private static readonly uint s_magic = SketchFrame.Magic('K', 'H', 'L', 'L');

    /// <summary>The bytes <see cref="WriteTo"/> needs (a sparse sketch is deduplicated first).</summary>
    public int SerializedSize
    {
        get
        {
            if (_registers is not null)
                return SketchFrame.Overhead + BodyFixed + RegisterCount / 4 * 3;
            Compact();
            var size = 0;
            uint previous = 0;
            foreach (var entry in _sparse.AsSpan(0, _sparseCount))
            {
                size += VarintLength(entry - previous);
                previous = entry;
            }
            return SketchFrame.Overhead + BodyFixed + size;
        }
    }

    /// <summary>Writes the sketch into <paramref name="destination"/> and returns the bytes written.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="SerializedSize"/>.</exception>
    public int WriteTo(Span<byte> destination)
    {
        var length = SerializedSize;
        if (destination.Length < length)
            SketchThrowHelper.DestinationTooSmall(nameof(destination), length, destination.Length);
        SketchFrame.WriteHeader(destination, s_magic, FormatVersion, length);
        var body = destination[SketchFrame.HeaderSize..];
        body[0] = (byte)_precision;
        body[1] = (byte)(_registers is null ? 0 : 1);
        BinaryPrimitives.WriteUInt16LittleEndian(body[2..], 0);
        var payload = body[BodyFixed..];
        if (_registers is { } registers)
        {
            BinaryPrimitives.WriteInt32LittleEndian(body[4..], registers.Length);
            for (int r = 0, b = 0; r < registers.Length; r += 4, b += 3)
            {
                int r0 = registers[r], r1 = registers[r + 1], r2 = registers[r + 2], r3 = registers[r + 3];
                payload[b] = (byte)(r0 | (r1 << 6));
                payload[b + 1] = (byte)((r1 >> 2) | (r2 << 4));
                payload[b + 2] = (byte)((r2 >> 4) | (r3 << 2));
            }
        }
        else
        {
            BinaryPrimitives.WriteInt32LittleEndian(body[4..], _sparseCount);
            var at = 0;
            uint previous = 0;
            foreach (var entry in _sparse.AsSpan(0, _sparseCount))
            {
                at += WriteVarint(payload[at..], entry - previous);
                previous = entry;
            }
        }
        SketchFrame.WriteTrailer(destination, length);
        return length;
    }

    /// <summary>Reads a sketch written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid serialized sketch (the message names the field and offset).</exception>
    public static HyperLogLog ReadFrom(ReadOnlySpan<byte> source)
    {
        var body = SketchFrame.Open(source, s_magic, FormatVersion, FormatName);
        if (body.Length < BodyFixed)
            SketchThrowHelper.InvalidData(FormatName, "body", SketchFrame.HeaderSize, $"{body.Length} bytes is shorter than the {BodyFixed}-byte fixed part");
        int precision = body[0];
        if (precision is < MinPrecision or > MaxPrecision)
            SketchThrowHelper.InvalidData(FormatName, "precision", 12, $"{precision} is outside [{MinPrecision}, {MaxPrecision}]");
        var encoding = body[1];
        var count = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
        var payload = body[BodyFixed..];
        var sketch = new HyperLogLog(precision);
        if (encoding == 1)
        {
            var m = 1 << precision;
            if (count != m || payload.Length != m / 4 * 3)
                SketchThrowHelper.InvalidData(FormatName, "count", 16, $"dense count {count} with {payload.Length} payload bytes does not match m = {m}");
            var registers = new byte[m];
            var maxRank = 65 - precision;
            for (int r = 0, b = 0; r < m; r += 4, b += 3)
            {
                int b0 = payload[b], b1 = payload[b + 1], b2 = payload[b + 2];
                registers[r] = (byte)(b0 & 63);
                registers[r + 1] = (byte)((b0 >> 6) | ((b1 & 15) << 2));
                registers[r + 2] = (byte)((b1 >> 4) | ((b2 & 3) << 4));
                registers[r + 3] = (byte)(b2 >> 2);
            }
            for (var r = 0; r < m; r++)
            {
                if (registers[r] > maxRank)
                    SketchThrowHelper.InvalidData(FormatName, "registers", 20 + r / 4 * 3, $"register {r} holds rank {registers[r]}, above the maximum {maxRank}");
            }
            sketch._registers = registers;
            sketch._sparse = null;
            return sketch;
        }
        if (encoding != 0)
            SketchThrowHelper.InvalidData(FormatName, "encoding", 13, $"{encoding} is neither 0 (sparse) nor 1 (dense)");
        if (count < 0)
            SketchThrowHelper.InvalidData(FormatName, "count", 16, $"{count} entries is negative");
        var at = 0;
        uint previous = 0;
        for (var i = 0; i < count; i++)
        {
            var delta = ReadVarint(payload, ref at);
            if (i > 0 && delta == 0)
                SketchThrowHelper.InvalidData(FormatName, "entries", 20 + at, $"entry {i} repeats the previous one (entries must be sorted and distinct)");
            var entry = previous + delta;
            var rank = entry & SparseRankMask;
            if (entry < previous || rank is 0 or > 64 - SparsePrecision + 1)
                SketchThrowHelper.InvalidData(FormatName, "entries", 20 + at, $"entry {i} (0x{entry:X8}) is out of order or has rank {rank}");
            sketch.AddSparse(entry);
            previous = entry;
        }
        if (at != payload.Length)
            SketchThrowHelper.InvalidData(FormatName, "entries", 20 + at, $"{payload.Length - at} bytes follow the last of {count} entries");
        return sketch;
    }

    private static int VarintLength(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }
        return length;
    }

    private static int WriteVarint(Span<byte> destination, uint value)
    {
        var i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    private static uint ReadVarint(ReadOnlySpan<byte> source, ref int at)
    {
        uint value = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if (at >= source.Length)
                SketchThrowHelper.InvalidData(FormatName, "entries", 20 + at, "a varint runs past the end of the payload");
            var b = source[at++];
            value |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
                return value;
        }
        SketchThrowHelper.InvalidData(FormatName, "entries", 20 + at, "a varint is longer than 5 bytes");
        return 0;
    }
}

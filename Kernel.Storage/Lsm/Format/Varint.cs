using System.Runtime.CompilerServices;

namespace Kernel.Storage.Lsm.Format;

/// <summary>LEB128 unsigned varints (7 bits per byte, high bit = more), as in blocks and batches.</summary>
internal static class Varint
{
    /// <summary>Bytes needed to encode <paramref name="value"/>.</summary>
    public static int Size(uint value)
    {
        var n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="pos"/> and advances it.</summary>
    public static void Write(Span<byte> buffer, ref int pos, uint value)
    {
        while (value >= 0x80)
        {
            buffer[pos++] = (byte)(value | 0x80);
            value >>= 7;
        }
        buffer[pos++] = (byte)value;
    }

    /// <summary>Reads a varint at <paramref name="pos"/>; returns false when it runs past the end or past 5 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryRead(ReadOnlySpan<byte> buffer, ref int pos, out uint value)
    {
        if ((uint)pos < (uint)buffer.Length && buffer[pos] < 0x80)
        {
            value = buffer[pos++];
            return true;
        }
        return TryReadSlow(buffer, ref pos, out value);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadSlow(ReadOnlySpan<byte> buffer, ref int pos, out uint value)
    {
        value = 0;
        for (var shift = 0; shift <= 28; shift += 7)
        {
            if ((uint)pos >= (uint)buffer.Length) return false;
            uint b = buffer[pos++];
            value |= (b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }
}

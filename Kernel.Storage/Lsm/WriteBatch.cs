using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Memory;

namespace Kernel.Storage.Lsm;

/// <summary>
/// Writes applied atomically: a reader sees all of them or none, and with a WAL a crash keeps
/// all or none. Reusable after <see cref="Clear"/>. Not thread-safe.
/// <code>
/// op: kind u8 (0 delete, 1 put, 2 range delete) | varint len a | a | varint len b | b
///     (put: a = key, b = value; delete: a = key, b empty; range delete: a = start, b = end)
/// </code>
/// </summary>
public sealed class WriteBatch
{
    private byte[] _buffer;
    private int _length;

    /// <summary>Creates an empty batch.</summary>
    public WriteBatch(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    /// <summary>Operations in the batch.</summary>
    public int Count { get; private set; }

    internal int MemtableBytes { get; private set; }
    internal ReadOnlySpan<byte> Data => _buffer.AsSpan(0, _length);

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Append(1, key, value);
        MemtableBytes += Memtable.NodeBytes(key.Length, value.Length);
    }

    /// <summary>Deletes <paramref name="key"/>.</summary>
    public void Delete(ReadOnlySpan<byte> key)
    {
        Append(0, key, default);
        MemtableBytes += Memtable.NodeBytes(key.Length, 0);
    }

    /// <summary>Deletes every key in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public void DeleteRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        if (start.SequenceCompareTo(end) >= 0) LsmThrow.Argument(nameof(end), "the end of a range delete must be after its start");
        Append(2, start, end);
    }

    /// <summary>Empties the batch for reuse.</summary>
    public void Clear()
    {
        _length = 0;
        Count = 0;
        MemtableBytes = 0;
    }

    private void Append(byte kind, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var need = 11 + a.Length + b.Length;
        if (_length + need > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + need));
        var span = _buffer.AsSpan();
        span[_length++] = kind;
        Varint.Write(span, ref _length, (uint)a.Length);
        a.CopyTo(span[_length..]);
        _length += a.Length;
        Varint.Write(span, ref _length, (uint)b.Length);
        b.CopyTo(span[_length..]);
        _length += b.Length;
        Count++;
    }

    /// <summary>Reads the next operation at <paramref name="pos"/>; false at the end or on a malformed op.</summary>
    internal static bool TryReadOp(ReadOnlySpan<byte> data, ref int pos, out byte kind, out ReadOnlySpan<byte> a, out ReadOnlySpan<byte> b)
    {
        a = b = default;
        kind = 0;
        if (pos >= data.Length) return false;
        kind = data[pos++];
        if (kind > 2 || !Varint.TryRead(data, ref pos, out var la) || pos + (long)la > data.Length) return false;
        a = data.Slice(pos, (int)la);
        pos += (int)la;
        if (!Varint.TryRead(data, ref pos, out var lb) || pos + (long)lb > data.Length) return false;
        b = data.Slice(pos, (int)lb);
        pos += (int)lb;
        return true;
    }
}

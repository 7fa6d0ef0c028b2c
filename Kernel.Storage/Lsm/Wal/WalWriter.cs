using System.Buffers.Binary;
using Kernel.Storage.Common;

namespace Kernel.Storage.Lsm.Wal;

/// <summary>
/// Appends write batches to an optional write-ahead log (one file per memtable).
/// <code>
/// +------------+-------------------------+-------------------+------------------------+
/// | length u32 | CRC-32C u32 of the rest | first sequence u64| batch ops (WriteBatch) |  x n
/// +------------+-------------------------+-------------------+------------------------+
/// </code>
/// A record cut short by a crash fails its length or checksum and ends the replay.
/// </summary>
internal sealed class WalWriter : IDisposable
{
    private readonly FileStream _file;
    private readonly bool _sync;
    private byte[] _frame = new byte[256];

    public WalWriter(string path, bool sync)
    {
        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _sync = sync;
    }

    public void Append(ulong firstSequence, ReadOnlySpan<byte> ops)
    {
        var length = 8 + ops.Length;
        if (_frame.Length < 8 + length) _frame = new byte[Math.Max(_frame.Length * 2, 8 + length)];
        var f = _frame.AsSpan(0, 8 + length);
        BinaryPrimitives.WriteUInt64LittleEndian(f[8..], firstSequence);
        ops.CopyTo(f[16..]);
        BinaryPrimitives.WriteInt32LittleEndian(f, length);
        BinaryPrimitives.WriteUInt32LittleEndian(f[4..], Crc32C.Compute(f[8..]));
        _file.Write(f);
        _file.Flush(flushToDisk: _sync);
    }

    public void Dispose() => _file.Dispose();
}

using Microsoft.Win32.SafeHandles;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Read-ahead for one cursor that walks a table's blocks in order: once it reads from disk the
/// block that follows the one it read before, it reads 64 KiB at a time (blocks are contiguous in the file) and serves the next
/// blocks from that buffer, one read per ~15 blocks instead of one per block (quick suite
/// <c>lsm scan-prefix</c> scans blocks not yet cached). Seeks, backward walks and short scans
/// read single blocks and never allocate the buffer. Bytes served from here are verified like any block read (CRC-32C).
/// </summary>
internal sealed class ReadAhead
{
    private const int Bytes = 64 << 10;
    private byte[] _buffer = [];
    private SafeFileHandle? _file;
    private long _start;
    private int _length;
    private SafeFileHandle? _lastFile;
    private long _lastEnd = -1;     // where the last block read directly ended: the next one starting there is a sequential walk

    /// <summary>Copies <paramref name="destination"/>.Length bytes at <paramref name="offset"/> of the file (whose data area ends at <paramref name="end"/>); false: read them directly.</summary>
    public bool TryRead(SafeFileHandle file, long offset, long end, Span<byte> destination)
    {
        if (ReferenceEquals(file, _file) && offset >= _start && offset + destination.Length <= _start + _length)
        {
            _buffer.AsSpan((int)(offset - _start), destination.Length).CopyTo(destination);
            return true;
        }
        var sequential = ReferenceEquals(file, _lastFile) && offset == _lastEnd;
        _lastFile = file;
        _lastEnd = offset + destination.Length;
        if (!sequential) return false;
        var length = (int)Math.Min(Bytes, end - offset);
        if (length < destination.Length) return false;
        if (_buffer.Length == 0) _buffer = GC.AllocateUninitializedArray<byte>(Bytes);
        _file = null;
        var read = RandomAccess.Read(file, _buffer.AsSpan(0, length), offset);
        if (read < destination.Length) return false;   // the direct read reports the truncation
        _file = file;
        _start = offset;
        _length = read;
        _buffer.AsSpan(0, destination.Length).CopyTo(destination);
        return true;
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// A cursor over one block (format drawn in <see cref="BlockBuilder"/>). Reusable: <c>Reset</c>
/// points it at another block. The value view points into the block's bytes; the key is rebuilt
/// into the cursor's own buffer (prefix compression).
/// </summary>
internal sealed class BlockIterator
{
    private byte[] _data = [];
    private int _restartsAt;
    private int _restartCount;
    private int _current;        // offset of the current entry; == _restartsAt when not valid
    private int _next;           // offset of the entry after the current one
    private byte[] _key = new byte[64];
    private int _keyLength;
    private int _valueOffset;
    private int _valueLength;
    private int _base;           // where the block's bytes start in _data (after a cached block's header)
    private int _prefixesAt;     // offset of the restart prefixes in _data (a cached block), 0: none
    private int _offsetsAt;      // offset of the restart offsets (u32 each) in _data: the block's own, or a cached block's copy
    private string _path = "";
    private long _fileOffset;

    public bool Valid => _current < _restartsAt;
    public ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);
    public ReadOnlySpan<byte> Value => _data.AsSpan(_valueOffset, _valueLength);
    public byte[] Data => _data;
    public int ValueOffset => _valueOffset;
    public int ValueLength => _valueLength;

    /// <summary>Points the cursor at a cached block (layout in <see cref="CachedBlock"/>); not positioned afterwards.</summary>
    public void Reset(byte[] cached, string path)
    {
        // Header fields only: the restart count at the block's end is another cache line (checked when the block was cached).
        var n = CachedBlock.RestartCount(cached);
        var length = CachedBlock.BlockLength(cached);
        var start = CachedBlock.HeaderBytes + 12 * n;
        _path = path;
        _fileOffset = CachedBlock.FileOffset(cached);
        _data = cached;
        _base = start;
        var restartsAt = length - 4 - 4L * n;
        if (n <= 0 || restartsAt < 0 || (uint)(start + length) > (uint)cached.Length) Corrupt(0, "bad cached block header");
        _restartCount = n;
        _restartsAt = start + (int)restartsAt;
        _current = _next = _restartsAt;
        _prefixesAt = CachedBlock.HeaderBytes;
        _offsetsAt = CachedBlock.OffsetsStart(n);
    }

    /// <summary>Points the cursor at a block's contents (without its checksum); not positioned afterwards.</summary>
    public void Reset(byte[] data, int length, string path, long fileOffset) => Reset(data, 0, length, path, fileOffset);

    private void Reset(byte[] data, int start, int length, string path, long fileOffset)
    {
        _prefixesAt = 0;
        _path = path;
        _fileOffset = fileOffset;
        _data = data;
        _base = start;
        if (length < 4 || (uint)(start + length) > (uint)data.Length) Corrupt(0, "block shorter than its restart count");
        _restartCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(start + length - 4));
        var restartsAt = length - 4 - 4L * _restartCount;
        if (_restartCount == 0 || restartsAt < 0) Corrupt(length - 4, "bad restart count " + _restartCount);
        _restartsAt = start + (int)restartsAt;
        _offsetsAt = _restartsAt;
        _current = _next = _restartsAt;
    }

    /// <summary>The restart count of the current block (checked by Reset).</summary>
    public int RestartCount => _restartCount;

    public void SeekToFirst()
    {
        _next = RestartOffset(0);
        _keyLength = 0;
        ParseNext();
    }

    public void SeekToLast()
    {
        _next = RestartOffset(_restartCount - 1);
        _keyLength = 0;
        while (ParseNext() && _next < _restartsAt) { }
    }

    public void Next()
    {
        ParseNext();
    }

    public void Prev()
    {
        var original = _current;
        var r = _restartCount - 1;
        while (RestartOffset(r) >= original)
        {
            if (r == 0)
            {
                _current = _next = _restartsAt;    // before the first entry: not valid
                return;
            }
            r--;
        }
        _next = RestartOffset(r);
        _keyLength = 0;
        while (ParseNext() && _next < original) { }
    }

    /// <summary>Moves to the first entry at or after (userKey, trailer).</summary>
    public void Seek(ReadOnlySpan<byte> userKey, ulong trailer)
    {
        // Binary search for the last restart whose key is before the target.
        int lo = 0, hi = _restartCount - 1;
        var prefixes = _prefixesAt == 0 ? default : _data.AsSpan(_prefixesAt, 8 * _restartCount);
        var prefix = prefixes.IsEmpty ? 0 : CachedBlock.Prefix(userKey);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            bool before;
            ulong p;
            if (!prefixes.IsEmpty && (p = BinaryPrimitives.ReadUInt64LittleEndian(prefixes[(8 * mid)..])) != prefix) before = p < prefix;
            else before = InternalKey.Compare(RestartKey(mid), userKey, trailer) < 0;
            if (before) lo = mid;
            else hi = mid - 1;
        }
        _next = RestartOffset(lo);
        _keyLength = 0;
        while (ParseNext())
        {
            if (InternalKey.Compare(Key, userKey, trailer) >= 0) return;
        }
    }

    /// <summary>Moves to the first entry at or after the internal key <paramref name="target"/>.</summary>
    public void Seek(ReadOnlySpan<byte> target) => Seek(InternalKey.UserKey(target), InternalKey.TrailerOf(target));

    /// <summary>Writes the 8-byte prefix of every restart key's user key (u64 little-endian each) into <paramref name="destination"/>.</summary>
    public void WriteRestartPrefixes(Span<byte> destination)
    {
        for (var i = 0; i < _restartCount; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(destination[(8 * i)..], CachedBlock.Prefix(InternalKey.UserKey(RestartKey(i))));
    }

    /// <summary>Copies the block's restart offsets (u32 each) into <paramref name="destination"/>.</summary>
    public void CopyRestartOffsets(Span<byte> destination) =>
        _data.AsSpan(_offsetsAt, 4 * _restartCount).CopyTo(destination);

    private ReadOnlySpan<byte> RestartKey(int index)
    {
        var pos = RestartOffset(index);
        var span = _data.AsSpan(0, _restartsAt);
        uint shared = 0, unshared = 0;
        if (!Varint.TryRead(span, ref pos, out shared) || !Varint.TryRead(span, ref pos, out unshared)
            || !Varint.TryRead(span, ref pos, out _) || shared != 0 || pos + (long)unshared > _restartsAt)
            CorruptAt(RestartOffset(index), "bad restart entry");
        return _data.AsSpan(pos, (int)unshared);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RestartOffset(int index)
    {
        var r = (long)BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(_offsetsAt + 4 * index)) + _base;
        if (r > _restartsAt) Corrupt(_restartsAt - _base + 4 * index, "restart offset out of range");
        return (int)r;
    }

    private bool ParseNext()
    {
        _current = _next;
        if (_current >= _restartsAt)
        {
            _current = _next = _restartsAt;
            return false;
        }
        var span = _data.AsSpan(0, _restartsAt);
        var pos = _current;
        uint shared = 0, unshared = 0, valueLength = 0;
        if (!Varint.TryRead(span, ref pos, out shared) || !Varint.TryRead(span, ref pos, out unshared)
            || !Varint.TryRead(span, ref pos, out valueLength)
            || shared > (uint)_keyLength || pos + (long)unshared + valueLength > _restartsAt)
            CorruptAt(_current, "bad entry header");
        var keyLength = (int)(shared + unshared);
        if (_key.Length < keyLength) Array.Resize(ref _key, keyLength * 2);
        _data.AsSpan(pos, (int)unshared).CopyTo(_key.AsSpan((int)shared));
        _keyLength = keyLength;
        _valueOffset = pos + (int)unshared;
        _valueLength = (int)valueLength;
        _next = _valueOffset + _valueLength;
        if (_keyLength < InternalKey.TrailerBytes) CorruptAt(_current, "key shorter than its trailer");
        return true;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Corrupt(long offsetInBlock, string what) =>
        LsmThrow.Corruption(_path, _fileOffset + offsetInBlock, what + " in block at " + _fileOffset);

    /// <summary>As <see cref="Corrupt"/> for an offset in <c>_data</c> (past a cached block's header).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void CorruptAt(long offsetInData, string what) => Corrupt(offsetInData - _base, what);
}

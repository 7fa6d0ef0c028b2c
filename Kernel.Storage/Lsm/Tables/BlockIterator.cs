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
    private ulong[]? _restartPrefixes;   // from the cached block when there is one
    private string _path = "";
    private long _fileOffset;

    public bool Valid => _current < _restartsAt;
    public ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);
    public ReadOnlySpan<byte> Value => _data.AsSpan(_valueOffset, _valueLength);
    public byte[] Data => _data;
    public int ValueOffset => _valueOffset;
    public int ValueLength => _valueLength;

    /// <summary>Points the cursor at a block's contents (without its checksum); not positioned afterwards.</summary>
    public void Reset(CachedBlock block, string path, long fileOffset)
    {
        Reset(block.Data, block.Length, path, fileOffset);
        _restartPrefixes = block.RestartPrefixes;
    }

    public void Reset(byte[] data, int length, string path, long fileOffset)
    {
        _restartPrefixes = null;
        _path = path;
        _fileOffset = fileOffset;
        _data = data;
        if (length < 4) Corrupt(0, "block shorter than its restart count");
        _restartCount = (int)BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan(length - 4));
        var restartsAt = length - 4 - 4L * _restartCount;
        if (_restartCount == 0 || restartsAt < 0) Corrupt(length - 4, "bad restart count " + _restartCount);
        _restartsAt = (int)restartsAt;
        _current = _next = _restartsAt;
    }

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
        var prefixes = _restartPrefixes;
        var prefix = prefixes is null ? 0 : CachedBlock.Prefix(userKey);
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            bool before;
            if (prefixes is not null && prefixes[mid] != prefix) before = prefixes[mid] < prefix;
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

    /// <summary>The 8-byte prefix of every restart key's user key.</summary>
    public ulong[] RestartPrefixes()
    {
        var result = new ulong[_restartCount];
        for (var i = 0; i < _restartCount; i++) result[i] = CachedBlock.Prefix(InternalKey.UserKey(RestartKey(i)));
        return result;
    }

    private ReadOnlySpan<byte> RestartKey(int index)
    {
        var pos = RestartOffset(index);
        var span = _data.AsSpan(0, _restartsAt);
        uint shared = 0, unshared = 0;
        if (!Varint.TryRead(span, ref pos, out shared) || !Varint.TryRead(span, ref pos, out unshared)
            || !Varint.TryRead(span, ref pos, out _) || shared != 0 || pos + (long)unshared > _restartsAt)
            Corrupt(RestartOffset(index), "bad restart entry");
        return _data.AsSpan(pos, (int)unshared);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int RestartOffset(int index)
    {
        var r = (int)BinaryPrimitives.ReadUInt32LittleEndian(_data.AsSpan(_restartsAt + 4 * index));
        if ((uint)r > (uint)_restartsAt) Corrupt(_restartsAt + 4 * index, "restart offset out of range");
        return r;
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
            Corrupt(_current, "bad entry header");
        var keyLength = (int)(shared + unshared);
        if (_key.Length < keyLength) Array.Resize(ref _key, keyLength * 2);
        _data.AsSpan(pos, (int)unshared).CopyTo(_key.AsSpan((int)shared));
        _keyLength = keyLength;
        _valueOffset = pos + (int)unshared;
        _valueLength = (int)valueLength;
        _next = _valueOffset + _valueLength;
        if (_keyLength < InternalKey.TrailerBytes) Corrupt(_current, "key shorter than its trailer");
        return true;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void Corrupt(long offsetInBlock, string what) =>
        LsmThrow.Corruption(_path, _fileOffset + offsetInBlock, what + " in block at " + _fileOffset);
}

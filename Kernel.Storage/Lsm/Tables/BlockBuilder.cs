using System.Buffers.Binary;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Builds one block: prefix-compressed entries with a full key every <c>restartInterval</c>
/// entries (a restart point) so a reader can binary-search restarts, then scan.
/// <code>
/// +-------------------------------------------------------------------------+
/// | entry 0 | entry 1 | ... | restart[0] u32 | ... | restart[r-1] u32 | r u32 |
/// +-------------------------------------------------------------------------+
/// entry: varint shared | varint unshared | varint valueLen | key[shared..] | value
///        (shared = bytes of the key in common with the previous key; 0 at a restart)
/// </code>
/// </summary>
internal sealed class BlockBuilder
{
    private readonly int _restartInterval;
    private byte[] _buffer = new byte[8192];
    private int _length;
    private readonly List<int> _restarts = new();
    private byte[] _lastKey = new byte[64];
    private int _lastKeyLength;
    private int _counter;

    public BlockBuilder(int restartInterval)
    {
        _restartInterval = restartInterval;
        Reset();
    }

    public bool IsEmpty => _length == 0;

    /// <summary>Bytes the block will take once finished.</summary>
    public int EstimatedBytes => _length + 4 * _restarts.Count + 4;

    /// <summary>The last key added.</summary>
    public ReadOnlySpan<byte> LastKey => _lastKey.AsSpan(0, _lastKeyLength);

    public void Reset()
    {
        _length = 0;
        _restarts.Clear();
        _restarts.Add(0);
        _counter = 0;
        _lastKeyLength = 0;
    }

    /// <summary>Appends an entry; keys must arrive in increasing order.</summary>
    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var shared = 0;
        if (_counter < _restartInterval)
        {
            var max = Math.Min(_lastKeyLength, key.Length);
            while (shared < max && _lastKey[shared] == key[shared]) shared++;
        }
        else
        {
            _restarts.Add(_length);
            _counter = 0;
        }
        var unshared = key.Length - shared;
        Ensure(15 + unshared + value.Length);
        var span = _buffer.AsSpan();
        Varint.Write(span, ref _length, (uint)shared);
        Varint.Write(span, ref _length, (uint)unshared);
        Varint.Write(span, ref _length, (uint)value.Length);
        key[shared..].CopyTo(span[_length..]);
        _length += unshared;
        value.CopyTo(span[_length..]);
        _length += value.Length;
        if (_lastKey.Length < key.Length) Array.Resize(ref _lastKey, key.Length * 2);
        key.CopyTo(_lastKey);
        _lastKeyLength = key.Length;
        _counter++;
    }

    /// <summary>Appends the restart array and returns the finished block (valid until the next Add or Reset).</summary>
    public ReadOnlySpan<byte> Finish()
    {
        Ensure(4 * _restarts.Count + 4);
        foreach (var r in _restarts)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)r);
            _length += 4;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(_length), (uint)_restarts.Count);
        _length += 4;
        return _buffer.AsSpan(0, _length);
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
    }
}

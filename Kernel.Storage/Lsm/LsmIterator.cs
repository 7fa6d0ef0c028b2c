using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

/// <summary>
/// A cursor over live keys in order, forward and backward, at a fixed sequence: it merges the
/// memtables and every level, shows the newest version of each key and hides deleted keys and
/// keys under a range delete. <see cref="Key"/> and <see cref="Value"/> are valid until it moves.
/// Not thread-safe; dispose it to unpin the tables it reads.
/// </summary>
public sealed class LsmIterator : IDisposable
{
    private readonly StoreView _view;
    private readonly MergingIterator _merged;
    private readonly ulong _snapshot;
    private readonly byte[]? _lower;
    private readonly byte[]? _upper;
    private byte[] _key = new byte[64];
    private int _keyLength;
    private byte[] _value = new byte[64];
    private int _valueLength;
    private byte[] _probe = new byte[64];
    private bool _valid;
    private bool _forward = true;
    private bool _disposed;

    internal LsmIterator(StoreView view, MergingIterator merged, ulong snapshot, byte[]? lower, byte[]? upper)
    {
        _view = view;
        _merged = merged;
        _snapshot = snapshot;
        _lower = lower;
        _upper = upper;
    }

    /// <summary>True when the cursor is on a key.</summary>
    public bool Valid => _valid;

    /// <summary>The current key.</summary>
    public ReadOnlySpan<byte> Key => _valid ? _key.AsSpan(0, _keyLength) : Invalid();

    /// <summary>The current value.</summary>
    public ReadOnlySpan<byte> Value => _valid ? _value.AsSpan(0, _valueLength) : Invalid();

    /// <summary>Moves to the first key (at or after the lower bound).</summary>
    public void SeekToFirst()
    {
        if (_lower is not null) { Seek(_lower); return; }
        _merged.SeekToFirst();
        _forward = true;
        FindNext(skipCurrent: false);
    }

    /// <summary>Moves to the first key at or after <paramref name="key"/>.</summary>
    public void Seek(ReadOnlySpan<byte> key)
    {
        if (_lower is not null && key.SequenceCompareTo(_lower) < 0) key = _lower;
        _merged.Seek(Probe(key, InternalKey.MaxSequence, EntryKind.Value));
        _forward = true;
        FindNext(skipCurrent: false);
    }

    /// <summary>Moves to the last key (before the upper bound).</summary>
    public void SeekToLast()
    {
        if (_upper is not null)
        {
            _merged.Seek(Probe(_upper, InternalKey.MaxSequence, EntryKind.Value));
            if (_merged.Valid) _merged.Prev();
            else _merged.SeekToLast();
        }
        else _merged.SeekToLast();
        _forward = false;
        FindPrev();
    }

    /// <summary>Moves to the last key at or before <paramref name="key"/>.</summary>
    public void SeekForPrev(ReadOnlySpan<byte> key)
    {
        if (_upper is not null && key.SequenceCompareTo(_upper) >= 0) { SeekToLast(); return; }
        _merged.SeekForPrev(Probe(key, 0, EntryKind.Delete));
        _forward = false;
        FindPrev();
    }

    /// <summary>Moves to the next key.</summary>
    public void Next()
    {
        if (!_valid) LsmThrow.InvalidIterator();
        if (!_forward)
        {
            _merged.Seek(Probe(_key.AsSpan(0, _keyLength), InternalKey.MaxSequence, EntryKind.Value));
            _forward = true;
        }
        FindNext(skipCurrent: true);
    }

    /// <summary>Moves to the previous key.</summary>
    public void Prev()
    {
        if (!_valid) LsmThrow.InvalidIterator();
        if (_forward)
        {
            _merged.Seek(Probe(_key.AsSpan(0, _keyLength), InternalKey.MaxSequence, EntryKind.Value));
            if (_merged.Valid) _merged.Prev();
            else _merged.SeekToLast();
            _forward = false;
        }
        FindPrev();
    }

    /// <summary>Unpins the tables.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _merged.Dispose();
        _view.Release();
    }

    /// <summary>Forward: the first visible, live user key after the merged cursor (skipping the current key when asked).</summary>
    private void FindNext(bool skipCurrent)
    {
        var skipping = skipCurrent;
        while (_merged.Valid)
        {
            var ik = _merged.Key;
            var uk = InternalKey.UserKey(ik);
            if (_upper is not null && uk.SequenceCompareTo(_upper) >= 0) break;
            var trailer = InternalKey.TrailerOf(ik);
            var seq = trailer >> 8;
            if (seq > _snapshot || (skipping && uk.SequenceEqual(_key.AsSpan(0, _keyLength))))
            {
                _merged.Next();
                continue;
            }
            SaveKey(uk);
            skipping = true;   // older versions of this key are hidden whatever this one is
            if ((EntryKind)(byte)trailer == EntryKind.Value && !Covered(uk, seq))
            {
                SaveValue(_merged.Value);
                _valid = true;
                return;
            }
            _merged.Next();
        }
        _valid = false;
    }

    /// <summary>Backward: versions of a key arrive oldest first, so keep the last visible one until the key changes.</summary>
    private void FindPrev()
    {
        while (true)
        {
            var have = false;
            var kind = EntryKind.Delete;
            ulong savedSeq = 0;
            while (_merged.Valid)
            {
                var ik = _merged.Key;
                var uk = InternalKey.UserKey(ik);
                if (_lower is not null && uk.SequenceCompareTo(_lower) < 0) break;
                var trailer = InternalKey.TrailerOf(ik);
                var seq = trailer >> 8;
                if (seq <= _snapshot)
                {
                    if (have && uk.SequenceCompareTo(_key.AsSpan(0, _keyLength)) < 0) break;
                    SaveKey(uk);
                    SaveValue(_merged.Value);
                    kind = (EntryKind)(byte)trailer;
                    savedSeq = seq;
                    have = true;
                }
                _merged.Prev();
            }
            if (!have)
            {
                _valid = false;
                return;
            }
            if (kind == EntryKind.Value && !Covered(_key.AsSpan(0, _keyLength), savedSeq))
            {
                _valid = true;
                return;
            }
        }
    }

    private bool Covered(ReadOnlySpan<byte> userKey, ulong seq) =>
        (_view.HasAnyTombstone || _view.Active.Tombstones.Length > 0) && _view.MaxTombstone(userKey, _snapshot) > seq;

    private ReadOnlySpan<byte> Probe(ReadOnlySpan<byte> userKey, ulong seq, EntryKind kind)
    {
        var n = userKey.Length + InternalKey.TrailerBytes;
        if (_probe.Length < n) _probe = new byte[n * 2];
        return _probe.AsSpan(0, InternalKey.Write(_probe, userKey, seq, kind));
    }

    private void SaveKey(ReadOnlySpan<byte> k)
    {
        if (_key.Length < k.Length) _key = new byte[k.Length * 2];
        k.CopyTo(_key);
        _keyLength = k.Length;
    }

    private void SaveValue(ReadOnlySpan<byte> v)
    {
        if (_value.Length < v.Length) _value = new byte[v.Length * 2];
        v.CopyTo(_value);
        _valueLength = v.Length;
    }

    private static ReadOnlySpan<byte> Invalid()
    {
        LsmThrow.InvalidIterator();
        return default;
    }
}

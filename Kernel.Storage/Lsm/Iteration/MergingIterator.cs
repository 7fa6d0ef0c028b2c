using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Iteration;

/// <summary>
/// Merges child cursors into one internal-key order. Internal keys are unique across children
/// (every write has its own sequence), so there are no ties. Changing direction re-seeks the
/// children that are not current around the current key. Children are few (memtables, level-0
/// tables, one per deeper level), so the smallest/largest is found by a linear pass.
/// </summary>
internal sealed class MergingIterator : InternalIterator
{
    private readonly InternalIterator[] _children;
    private int _current = -1;
    private bool _forward = true;
    private byte[] _keyCopy = new byte[64];

    public MergingIterator(InternalIterator[] children) => _children = children;

    public override bool Valid => _current >= 0 && _children[_current].Valid;
    public override ReadOnlySpan<byte> Key => _children[_current].Key;
    public override ReadOnlySpan<byte> Value => _children[_current].Value;

    public override void SeekToFirst()
    {
        foreach (var c in _children) c.SeekToFirst();
        _forward = true;
        FindSmallest();
    }

    public override void SeekToLast()
    {
        foreach (var c in _children) c.SeekToLast();
        _forward = false;
        FindLargest();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        foreach (var c in _children) c.Seek(target);
        _forward = true;
        FindSmallest();
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        foreach (var c in _children) c.SeekForPrev(target);
        _forward = false;
        FindLargest();
    }

    public override void Next()
    {
        if (!_forward)
        {
            var key = CopyKey();
            for (var i = 0; i < _children.Length; i++)
            {
                if (i == _current) continue;
                var c = _children[i];
                c.Seek(key);
                if (c.Valid && InternalKey.Compare(c.Key, key) == 0) c.Next();
            }
            _forward = true;
        }
        _children[_current].Next();
        FindSmallest();
    }

    public override void Prev()
    {
        if (_forward)
        {
            var key = CopyKey();
            for (var i = 0; i < _children.Length; i++)
            {
                if (i == _current) continue;
                var c = _children[i];
                c.Seek(key);
                if (c.Valid) c.Prev();
                else c.SeekToLast();
            }
            _forward = false;
        }
        _children[_current].Prev();
        FindLargest();
    }

    public override void Dispose()
    {
        foreach (var c in _children) c.Dispose();
    }

    private ReadOnlySpan<byte> CopyKey()
    {
        var k = Key;
        if (_keyCopy.Length < k.Length) _keyCopy = new byte[k.Length * 2];
        k.CopyTo(_keyCopy);
        return _keyCopy.AsSpan(0, k.Length);
    }

    private void FindSmallest()
    {
        _current = -1;
        for (var i = 0; i < _children.Length; i++)
        {
            var c = _children[i];
            if (!c.Valid) continue;
            if (_current < 0 || InternalKey.Compare(c.Key, _children[_current].Key) < 0) _current = i;
        }
    }

    private void FindLargest()
    {
        _current = -1;
        for (var i = 0; i < _children.Length; i++)
        {
            var c = _children[i];
            if (!c.Valid) continue;
            if (_current < 0 || InternalKey.Compare(c.Key, _children[_current].Key) > 0) _current = i;
        }
    }
}

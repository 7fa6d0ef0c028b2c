using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Iteration;

/// <summary>
/// Merges child cursors into one internal-key order. Internal keys are unique across children
/// (every write has its own sequence), so there are no ties. The valid children sit in a binary
/// heap on their current keys (smallest on top going forward, largest going backward), so a step
/// costs O(log children) compares, and two compares when the child that moved stays on top (a run
/// of keys from one table, the common case when one level holds most of the keys). A linear pass
/// (what this was) cost a compare per child per key: restore and compaction slow down as level 0
/// holds more tables. Changing direction re-seeks the children that are not current around the
/// current key and rebuilds the heap the other way.
/// </summary>
internal sealed class MergingIterator : InternalIterator
{
    private readonly InternalIterator[] _children;
    private readonly int[] _heap;          // indices of valid children; _heap[0] is the current one
    private int _count;                    // children in the heap
    private bool _forward = true;
    private byte[] _keyCopy = new byte[64];

    public MergingIterator(InternalIterator[] children)
    {
        _children = children;
        _heap = new int[children.Length];
    }

    public override bool Valid => _count > 0;
    public override ReadOnlySpan<byte> Key => _children[_heap[0]].Key;
    public override ReadOnlySpan<byte> Value => _children[_heap[0]].Value;

    public override void SeekToFirst()
    {
        foreach (var c in _children) c.SeekToFirst();
        Build(forward: true);
    }

    public override void SeekToLast()
    {
        foreach (var c in _children) c.SeekToLast();
        Build(forward: false);
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        foreach (var c in _children) c.Seek(target);
        Build(forward: true);
    }

    public override void SeekForPrev(ReadOnlySpan<byte> target)
    {
        foreach (var c in _children) c.SeekForPrev(target);
        Build(forward: false);
    }

    public override void Next()
    {
        if (!_forward)
        {
            var current = _heap[0];
            var key = CopyKey();
            for (var i = 0; i < _children.Length; i++)
            {
                if (i == current) continue;
                var c = _children[i];
                c.Seek(key);
                if (c.Valid && InternalKey.Compare(c.Key, key) == 0) c.Next();
            }
            _children[current].Next();
            Build(forward: true);
            return;
        }
        var top = _children[_heap[0]];
        top.Next();
        if (top.Valid) SiftDown(0);
        else RemoveTop();
    }

    public override void Prev()
    {
        if (_forward)
        {
            var current = _heap[0];
            var key = CopyKey();
            for (var i = 0; i < _children.Length; i++)
            {
                if (i == current) continue;
                var c = _children[i];
                c.Seek(key);
                if (c.Valid) c.Prev();
                else c.SeekToLast();
            }
            _children[current].Prev();
            Build(forward: false);
            return;
        }
        var top = _children[_heap[0]];
        top.Prev();
        if (top.Valid) SiftDown(0);
        else RemoveTop();
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

    /// <summary>Puts every valid child into the heap, ordered for <paramref name="forward"/>.</summary>
    private void Build(bool forward)
    {
        _forward = forward;
        _count = 0;
        for (var i = 0; i < _children.Length; i++)
            if (_children[i].Valid) _heap[_count++] = i;
        for (var i = _count / 2 - 1; i >= 0; i--) SiftDown(i);
    }

    private void RemoveTop()
    {
        _count--;
        if (_count == 0) return;
        _heap[0] = _heap[_count];
        SiftDown(0);
    }

    /// <summary>True when child <paramref name="a"/> comes before child <paramref name="b"/> in the current direction.</summary>
    private bool Before(int a, int b)
    {
        var c = InternalKey.Compare(_children[a].Key, _children[b].Key);
        return _forward ? c < 0 : c > 0;
    }

    private void SiftDown(int at)
    {
        var heap = _heap;
        var item = heap[at];
        while (true)
        {
            var child = 2 * at + 1;
            if (child >= _count) break;
            if (child + 1 < _count && Before(heap[child + 1], heap[child])) child++;
            if (!Before(heap[child], item)) break;
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = item;
    }
}

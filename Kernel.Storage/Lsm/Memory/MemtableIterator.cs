using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;

namespace Kernel.Storage.Lsm.Memory;

/// <summary>
/// A cursor over one memtable in internal-key order: the distinct keys in sorted order (taken
/// when the cursor first moves, so it holds every key written before), and for each key its
/// chain of versions, newest first.
/// </summary>
internal sealed class MemtableIterator : InternalIterator
{
    private readonly Memtable _table;
    private int[]? _order;
    private int _pos;
    private int _node;     // 0: not valid

    public MemtableIterator(Memtable table) => _table = table;

    public override bool Valid => _node != 0;
    public override ReadOnlySpan<byte> Key => _table.KeyAt(_node);
    public override ReadOnlySpan<byte> Value => _table.ValueAt(_node);

    private int[] Order => _order ??= _table.SortedSlots();

    public override void SeekToFirst() => MoveToKey(0);

    public override void SeekToLast()
    {
        _pos = Order.Length - 1;
        _node = _pos >= 0 ? Oldest(_table.NodeOf(Order[_pos])) : 0;
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        var order = Order;
        var userKey = InternalKey.UserKey(target);
        int lo = 0, hi = order.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_table.UserKeyAt(_table.NodeOf(order[mid])).SequenceCompareTo(userKey) < 0) lo = mid + 1;
            else hi = mid;
        }
        if (lo < order.Length && _table.UserKeyAt(_table.NodeOf(order[lo])).SequenceEqual(userKey))
        {
            var trailer = InternalKey.TrailerOf(target);
            for (var n = _table.NodeOf(order[lo]); n != 0; n = _table.OlderOf(n))
            {
                if (InternalKey.TrailerOf(_table.KeyAt(n)) <= trailer)
                {
                    _pos = lo;
                    _node = n;
                    return;
                }
            }
            lo++;
        }
        MoveToKey(lo);
    }

    public override void Next()
    {
        _node = _table.OlderOf(_node);
        if (_node == 0) MoveToKey(_pos + 1);
    }

    public override void Prev()
    {
        var head = _table.NodeOf(Order[_pos]);
        if (head == _node)
        {
            _pos--;
            _node = _pos >= 0 ? Oldest(_table.NodeOf(Order[_pos])) : 0;
            return;
        }
        var x = head;
        while (_table.OlderOf(x) != _node) x = _table.OlderOf(x);
        _node = x;
    }

    private void MoveToKey(int pos)
    {
        _pos = pos;
        _node = pos < Order.Length ? _table.NodeOf(Order[pos]) : 0;
    }

    private int Oldest(int node)
    {
        while (_table.OlderOf(node) != 0) node = _table.OlderOf(node);
        return node;
    }
}

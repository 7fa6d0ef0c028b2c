using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;

namespace Kernel.Storage.Lsm.Memory;

/// <summary>A cursor over one memtable's skip list; backward steps search from the top (O(log n)).</summary>
internal sealed class MemtableIterator : InternalIterator
{
    private readonly Memtable _table;
    private int _node;

    public MemtableIterator(Memtable table) => _table = table;

    public override bool Valid => _node != 0;
    public override ReadOnlySpan<byte> Key => _table.KeyAt(_node);
    public override ReadOnlySpan<byte> Value => _table.ValueAt(_node);

    public override void SeekToFirst() => _node = _table.NextOf(0, 0);
    public override void SeekToLast() => _node = _table.FindLast();

    public override void Seek(ReadOnlySpan<byte> target) =>
        _node = _table.FindGreaterOrEqual(InternalKey.UserKey(target), InternalKey.TrailerOf(target), default);

    public override void Next() => _node = _table.NextOf(_node, 0);

    public override void Prev() => _node = _table.FindLessThan(Key);
}

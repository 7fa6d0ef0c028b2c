using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Iteration;

/// <summary>A cursor over one sorted, non-overlapping level: the tables one after another.</summary>
internal sealed class LevelIterator : InternalIterator
{
    private readonly TableReader[] _tables;
    private readonly TableIterator?[] _iterators;
    private int _index = -1;

    public LevelIterator(TableReader[] tables)
    {
        _tables = tables;
        _iterators = new TableIterator?[tables.Length];
    }

    public override bool Valid => (uint)_index < (uint)_tables.Length && Current.Valid;
    public override ReadOnlySpan<byte> Key => Current.Key;
    public override ReadOnlySpan<byte> Value => Current.Value;

    private TableIterator Current => _iterators[_index] ??= _tables[_index].NewIterator();

    public override void SeekToFirst()
    {
        _index = 0;
        if (_index < _tables.Length) Current.SeekToFirst();
        SkipForward();
    }

    public override void SeekToLast()
    {
        _index = _tables.Length - 1;
        if (_index >= 0) Current.SeekToLast();
        SkipBackward();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        var userKey = InternalKey.UserKey(target);
        int lo = 0, hi = _tables.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_tables[mid].Properties.LargestKey.AsSpan().SequenceCompareTo(userKey) < 0) lo = mid + 1;
            else hi = mid;
        }
        _index = lo;
        if (_index < _tables.Length) Current.Seek(target);
        SkipForward();
    }

    public override void Next()
    {
        Current.Next();
        SkipForward();
    }

    public override void Prev()
    {
        Current.Prev();
        SkipBackward();
    }

    private void SkipForward()
    {
        while ((uint)_index < (uint)_tables.Length && !Current.Valid)
        {
            _index++;
            if (_index < _tables.Length) Current.SeekToFirst();
        }
    }

    private void SkipBackward()
    {
        while ((uint)_index < (uint)_tables.Length && !Current.Valid)
        {
            _index--;
            if (_index >= 0) Current.SeekToLast();
        }
    }
}

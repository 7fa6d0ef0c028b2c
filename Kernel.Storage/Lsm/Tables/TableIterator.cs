using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Iteration;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>A cursor over one table: an index position and a cursor in the current data block.</summary>
internal sealed class TableIterator : InternalIterator
{
    private readonly TableReader _table;
    private readonly BlockIterator _block = new();
    private readonly bool _fillCache;
    private byte[] _buffer = [];    // the current block when it bypasses the cache
    private readonly ReadAhead _readAhead = new();
    private int _blockIndex = -1;   // -1 or BlockCount: not positioned

    /// <param name="table">The table.</param>
    /// <param name="fillCache">False: read blocks into the cursor's own buffer, not the cache (compaction reads each block once).</param>
    public TableIterator(TableReader table, bool fillCache = true)
    {
        _table = table;
        _fillCache = fillCache;
    }

    public override bool Valid => (uint)_blockIndex < (uint)_table.BlockCount && _block.Valid;
    public override ReadOnlySpan<byte> Key => _block.Key;
    public override ReadOnlySpan<byte> Value => _block.Value;

    public override void SeekToFirst()
    {
        Load(0);
        if (Loaded) _block.SeekToFirst();
        SkipForward();
    }

    public override void SeekToLast()
    {
        Load(_table.BlockCount - 1);
        if (Loaded) _block.SeekToLast();
        SkipBackward();
    }

    public override void Seek(ReadOnlySpan<byte> target)
    {
        Load(_table.FindBlock(InternalKey.UserKey(target), InternalKey.TrailerOf(target)));
        if (Loaded) _block.Seek(target);
        SkipForward();
    }

    public override void Next()
    {
        _block.Next();
        SkipForward();
    }

    public override void Prev()
    {
        _block.Prev();
        SkipBackward();
    }

    private bool Loaded => (uint)_blockIndex < (uint)_table.BlockCount;

    private void Load(int index)
    {
        _blockIndex = index;
        if (!Loaded) return;
        if (_fillCache) _table.LoadBlock(index, _block, _readAhead);
        else _table.ReadBlockUncached(index, ref _buffer, _block, _readAhead);
    }

    private void SkipForward()
    {
        while (Loaded && !_block.Valid)
        {
            Load(_blockIndex + 1);
            if (Loaded) _block.SeekToFirst();
        }
    }

    private void SkipBackward()
    {
        while (Loaded && !_block.Valid)
        {
            Load(_blockIndex - 1);
            if (Loaded) _block.SeekToLast();
        }
    }
}

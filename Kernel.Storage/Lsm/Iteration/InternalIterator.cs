using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Iteration;

/// <summary>
/// A cursor over internal entries in internal-key order (user key ascending, sequence
/// descending), forward and backward. Memtables, tables, levels and their merge implement it.
/// <see cref="Key"/> and <see cref="Value"/> are valid until the cursor moves.
/// </summary>
internal abstract class InternalIterator : IDisposable
{
    /// <summary>True when the cursor is on an entry.</summary>
    public abstract bool Valid { get; }

    /// <summary>The internal key of the current entry.</summary>
    public abstract ReadOnlySpan<byte> Key { get; }

    /// <summary>The value of the current entry (empty for tombstones).</summary>
    public abstract ReadOnlySpan<byte> Value { get; }

    /// <summary>Moves to the first entry.</summary>
    public abstract void SeekToFirst();

    /// <summary>Moves to the last entry.</summary>
    public abstract void SeekToLast();

    /// <summary>Moves to the first entry whose internal key is at or after <paramref name="target"/>.</summary>
    public abstract void Seek(ReadOnlySpan<byte> target);

    /// <summary>Moves to the next entry.</summary>
    public abstract void Next();

    /// <summary>Moves to the previous entry.</summary>
    public abstract void Prev();

    /// <summary>Moves to the last entry whose internal key is at or before <paramref name="target"/>.</summary>
    public virtual void SeekForPrev(ReadOnlySpan<byte> target)
    {
        Seek(target);
        if (!Valid) SeekToLast();
        else if (InternalKey.Compare(Key, target) > 0) Prev();
    }

    /// <summary>Releases what the cursor holds.</summary>
    public virtual void Dispose() { }
}

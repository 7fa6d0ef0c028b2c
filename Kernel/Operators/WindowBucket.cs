using Kernel.State;

namespace Kernel.Operators;

/// <summary>
/// The state of one time range: a pane (sliding), a window (tumbling), or a fired window kept for
/// its allowed lateness. Buckets and their tables are pooled, so an endless stream reuses them.
/// </summary>
internal sealed class WindowBucket<TKey, TState, THasher>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where THasher : struct, IKeyHasher<TKey>
{
    public WindowBucket(StateTable<TKey, WindowSlot<TState>, THasher> table) => Table = table;

    /// <summary>The range's start (inclusive).</summary>
    public long Start;

    /// <summary>The range's end (exclusive).</summary>
    public long End;

    /// <summary>Entries of the range held only in the LSM store (spilled; see WindowedAggregator.Spill.cs), not in <see cref="Table"/>.</summary>
    public int Spilled;

    /// <summary>
    /// A pane that may hold slots changed since the last periodic tick (sliding Periodic; see
    /// WindowedAggregator.Periodic.cs): set where an event's pane is looked up (never per event), cleared by the tick.
    /// </summary>
    public bool Touched;

    /// <summary>The (key → slot) entries of the range.</summary>
    public readonly StateTable<TKey, WindowSlot<TState>, THasher> Table;
}

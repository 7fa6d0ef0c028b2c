namespace Kernel.Operators;

/// <summary>
/// The extra static members the source generator emits for an aggregation whose input is another
/// aggregation's rows. Those rows are upserts: a later row for the same upstream (key, window)
/// replaces the earlier one. <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/>
/// uses these members to retract the replaced row's contribution before applying the new one, so
/// nothing is counted twice.
/// </summary>
/// <typeparam name="TEvent">The upstream aggregation's row.</typeparam>
/// <typeparam name="TUpstreamKey">What identifies an upstream row: its key members and window start.</typeparam>
/// <typeparam name="TState">The downstream aggregation's state.</typeparam>
public interface IUpsertSpec<TEvent, TUpstreamKey, TState>
    where TUpstreamKey : unmanaged, IEquatable<TUpstreamKey>
    where TState : unmanaged
{
    /// <summary>The identity of an upstream row: rows with equal identities are revisions of one another.</summary>
    static abstract TUpstreamKey UpstreamKeyOf(in TEvent row);

    /// <summary>A 64-bit hash of an upstream identity, high bits well mixed (as <c>HashKey</c>).</summary>
    static abstract ulong HashUpstreamKey(in TUpstreamKey key);

    /// <summary>
    /// True when <see cref="Retract"/> undoes <c>Update</c> exactly (only sums, counts and averages):
    /// a replaced row is then subtracted. Otherwise (<c>[Min]</c>, <c>[Max]</c>) a replaced row is subtracted
    /// when it holds no extreme (<see cref="TryRetract"/>, <see cref="TryReplace"/>), and the operator rebuilds
    /// the affected key's state from the upstream rows it keeps when it may.
    /// </summary>
    static abstract bool Invertible { get; }

    /// <summary>
    /// Removes one row's contribution from a state (the inverse of <c>Update</c>); valid only when <see cref="Invertible"/>
    /// (otherwise it throws). <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/> calls
    /// <see cref="TryRetract"/> and <see cref="TryReplace"/>, which serve every spec.
    /// </summary>
    static abstract void Retract(ref TState state, in TEvent row);

    /// <summary>
    /// Removes <paramref name="row"/>'s contribution from a state that holds it and other rows, when that can
    /// be done without the other rows: always for an <see cref="Invertible"/> spec; with <c>[Min]</c>/<c>[Max]</c>
    /// only when the row's value of each lies strictly inside the state's extreme (so another row holds the
    /// extreme). Returns false, changing nothing, when the row may hold an extreme: the caller rebuilds the state.
    /// </summary>
    static abstract bool TryRetract(ref TState state, in TEvent row);

    /// <summary>
    /// Removes <paramref name="old"/>'s contribution from a state ahead of folding <paramref name="row"/>, its
    /// replacement in the same key, when that can be done without the state's other rows: as
    /// <see cref="TryRetract"/>, and also when <paramref name="old"/> may hold a <c>[Max]</c> (<c>[Min]</c>) that
    /// <paramref name="row"/>'s value reaches or passes (the fold of <paramref name="row"/> then sets it). Returns
    /// false, changing nothing, otherwise. The caller folds <paramref name="row"/> (<c>Update</c>) after a true.
    /// </summary>
    static abstract bool TryReplace(ref TState state, in TEvent old, in TEvent row);
}

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
    /// a replaced row is then subtracted. Otherwise (<c>[Min]</c>, <c>[Max]</c>) the operator rebuilds
    /// the affected key's state from the upstream rows it keeps.
    /// </summary>
    static abstract bool Invertible { get; }

    /// <summary>Removes one row's contribution from a state (the inverse of <c>Update</c>); only called when <see cref="Invertible"/>.</summary>
    static abstract void Retract(ref TState state, in TEvent row);
}

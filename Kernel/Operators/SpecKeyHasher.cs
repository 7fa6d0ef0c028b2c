using System.Runtime.CompilerServices;
using Kernel.State;

namespace Kernel.Operators;

/// <summary>
/// Adapts an aggregation spec's <c>HashKey</c> to the state table's hasher contract, for a table whose
/// state is not the spec's <typeparamref name="TState"/> itself (the upsert aggregator's slots): it
/// declares no hot prefix, so the table keeps packed entries.
/// </summary>
internal readonly struct SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec> : IKeyHasher<TKey>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in TKey key) => TSpec.HashKey(key);

    /// <summary>Integer keys may index the table directly while they are dense (ids 0, 1, 2, …).</summary>
    public static bool DirectIndex => true;
}

/// <summary>
/// <see cref="SpecKeyHasher{TEvent, TKey, TState, TRow, TSpec}"/> for a table of the spec's own
/// <typeparamref name="TState"/> (the keyed aggregator's): it also passes on the state's hot prefix
/// (<see cref="IAggregationSpec{TEvent, TKey, TState, TRow}.StateHotBytes"/>), so that a direct table
/// can lay each key's hot bytes on one cache line.
/// </summary>
internal readonly struct StateSpecKeyHasher<TEvent, TKey, TState, TRow, TSpec> : IKeyHasher<TKey>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in TKey key) => TSpec.HashKey(key);

    /// <summary>Integer keys may index the table directly while they are dense (ids 0, 1, 2, …).</summary>
    public static bool DirectIndex => true;

    /// <summary>The state's hot prefix, as the spec declares it (0 for a hand-written spec that does not).</summary>
    public static int DirectHotBytes => TSpec.StateHotBytes;

    /// <summary>A state that fits one line is lined too (see <see cref="IKeyHasher{TKey}.LinesSmallStates"/>).</summary>
    public static bool LinesSmallStates => true;
}

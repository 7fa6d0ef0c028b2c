using System.Runtime.CompilerServices;
using Kernel.State;

namespace Kernel.Operators;

/// <summary>Adapts an aggregation spec's <c>HashKey</c> to the state table's hasher contract.</summary>
internal readonly struct SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec> : IKeyHasher<TKey>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(in TKey key) => TSpec.HashKey(key);

    /// <summary>Integer keys may index the table directly while they are dense (ids 0, 1, 2, …).</summary>
    public static bool DirectIndex => true;

    /// <summary>The state's hot prefix, as the generated spec declares it.</summary>
    public static int DirectHotBytes => TSpec.StateHotBytes;
}

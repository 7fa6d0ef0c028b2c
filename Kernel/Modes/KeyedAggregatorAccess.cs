using System.Runtime.CompilerServices;
using Kernel.Operators;
using Kernel.State;

namespace Kernel.Modes;

/// <summary>
/// Merges one <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/>'s state into another
/// (the end of a parallel batch run). The operator has no merge of its own yet, so this reaches its
/// state table and event count through <see cref="UnsafeAccessorAttribute"/>; an internal
/// <c>MergeFrom</c> on the operator would replace it. A renamed field fails loudly
/// (<see cref="MissingFieldException"/>) in the parallel batch tests, never silently.
/// </summary>
internal static class KeyedAggregatorAccess<TEvent, TKey, TState, TRow, TSpec>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_table")]
    private static extern ref StateTable<TKey, TState, SpecKeyHasher<TEvent, TKey, TState, TRow, TSpec>> Table(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_eventsSeen")]
    private static extern ref long EventsSeen(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op);

    /// <summary>The keys <paramref name="op"/> holds before its table first grows.</summary>
    public static int Capacity(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op) => Table(op).Capacity;

    /// <summary>
    /// Merges every key of <paramref name="from"/> into <paramref name="into"/> with the spec's
    /// <c>Merge</c> (a key new to <paramref name="into"/> starts from <c>Init</c>) and adds its events seen.
    /// Only for specs without side state.
    /// </summary>
    public static void Merge(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> into, KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> from)
    {
        var target = Table(into);
        foreach (ref var entry in Table(from))
        {
            ref var state = ref target.GetValueRefOrAdd(entry.Key, out var added);
            if (added) TSpec.Init(out state);
            TSpec.Merge(ref state, entry.State);
        }
        EventsSeen(into) += EventsSeen(from);
    }
}

using Kernel.Operators;

namespace Kernel.Modes;

/// <summary>
/// The parallel batch run's view of a <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/>:
/// its table's capacity and the merge of one worker's operator into another (the operator's own
/// internal <c>MergeFrom</c>).
/// </summary>
internal static class KeyedAggregatorAccess<TEvent, TKey, TState, TRow, TSpec>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    /// <summary>The keys <paramref name="op"/> holds before its table first grows.</summary>
    public static int Capacity(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op) => op.TableCapacity;

    /// <summary>
    /// Merges every key of <paramref name="from"/> into <paramref name="into"/> with the spec's
    /// <c>Merge</c> (a key new to <paramref name="into"/> starts from <c>Init</c>) and adds its events seen.
    /// Only for specs without side state.
    /// </summary>
    public static void Merge(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> into, KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> from) => into.MergeFrom(from);
}

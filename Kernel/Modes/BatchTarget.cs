using Kernel.Operators;

namespace Kernel.Modes;

/// <summary>Builds batch targets from operators, with the type arguments inferred.</summary>
public static class BatchTarget
{
    /// <summary>An unwindowed keyed operator as a batch target.</summary>
    public static KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec> For<TEvent, TKey, TState, TRow, TSpec>(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
        where TKey : unmanaged, IEquatable<TKey>
        where TState : unmanaged
        where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow> => new(op);

    /// <summary>A windowed operator as a batch target (watermark held back until <see cref="IBatchTarget{TEvent}.Complete"/>).</summary>
    public static WindowedBatchTarget<TEvent, TKey, TState, TRow, TSpec> For<TEvent, TKey, TState, TRow, TSpec>(WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
        where TKey : unmanaged, IEquatable<TKey>
        where TState : unmanaged
        where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow> => new(op);
}

using Kernel.Operators;

namespace Kernel.Modes;

/// <summary>
/// A <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/> as a batch target (no watermark,
/// nothing to fire). It can run an in-memory input with several workers
/// (<see cref="BatchOptions.Parallelism"/>): each folds a share into its own operator and the states are
/// merged with the spec's <c>Merge</c>, so the rows are those of one sequential run.
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation.</typeparam>
public readonly struct KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec> :
    IBatchTarget<TEvent>,
    IParallelBatchTarget<TEvent>,
    ISplittableBatchTarget<TEvent, KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec>>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    private readonly KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> _operator;

    /// <summary>Wraps <paramref name="op"/>.</summary>
    public KeyedBatchTarget(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _operator = op;
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<TEvent> events) => _operator.Apply(events);

    /// <summary>The end of a batch run: sends any changes still pending to the operator's change sink (after a restore, say).</summary>
    public void Complete() => _operator.FlushChanges();

    /// <summary>Sketches ([DistinctCount], [Sample], [TopK]) live outside the state and do not merge here.</summary>
    bool IParallelBatchTarget<TEvent>.CanSplit => !TSpec.HasSideState;

    void IParallelBatchTarget<TEvent>.ApplyParallel(ReadOnlySpan<TEvent> input, int workers, int batchSize, ref ProgressMeter meter) =>
        ParallelBatch.Run(this, input, workers, batchSize, ref meter);

    KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec> ISplittableBatchTarget<TEvent, KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec>>.Fork() =>
        new(new KeyedAggregator<TEvent, TKey, TState, TRow, TSpec>(KeyedAggregatorAccess<TEvent, TKey, TState, TRow, TSpec>.Capacity(_operator)));

    void ISplittableBatchTarget<TEvent, KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec>>.Join(KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec> worker) =>
        KeyedAggregatorAccess<TEvent, TKey, TState, TRow, TSpec>.Merge(_operator, worker._operator);
}

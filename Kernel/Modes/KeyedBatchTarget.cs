using Kernel.Operators;

namespace Kernel.Modes;

/// <summary>A <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/> as a batch target (no watermark, nothing to fire).</summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation.</typeparam>
public readonly struct KeyedBatchTarget<TEvent, TKey, TState, TRow, TSpec> : IBatchTarget<TEvent>
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

    /// <inheritdoc/>
    public void Complete()
    {
    }
}

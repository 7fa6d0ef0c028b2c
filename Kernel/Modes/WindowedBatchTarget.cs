using Kernel.Operators;

namespace Kernel.Modes;

/// <summary>
/// A <see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}"/> as a batch target: batches go
/// through <see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}.ApplyBounded"/> (the
/// watermark stays back) and <see cref="Complete"/> ends the input (the watermark jumps to +∞).
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key and window.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation.</typeparam>
public readonly struct WindowedBatchTarget<TEvent, TKey, TState, TRow, TSpec> : IBatchTarget<TEvent>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    private readonly WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> _operator;

    /// <summary>Wraps <paramref name="op"/>.</summary>
    public WindowedBatchTarget(WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _operator = op;
    }

    /// <inheritdoc/>
    public void Apply(ReadOnlySpan<TEvent> events) => _operator.ApplyBounded(events);

    /// <inheritdoc/>
    public void Complete() => _operator.EndOfInput();
}

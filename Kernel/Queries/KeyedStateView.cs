using Kernel.Modes;
using Kernel.Operators;
using Kernel.Ring;

namespace Kernel.Queries;

/// <summary>
/// A keyed operator whose live state can be queried from any thread while it runs. Put it where the
/// operator was — as the ring's handler or as a batch target — and every batch is applied inside a
/// <see cref="StateGate"/>: a query sees the state between two batches and reports its sequence (the
/// number of ring entries, or of batch-mode events, the state includes).
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation.</typeparam>
public sealed class KeyedStateView<TEvent, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>, IBatchTarget<TEvent>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    private readonly KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> _operator;
    private readonly StateGate _gate = new();
    private long _applied;   // batch-mode events applied; written by the writer only, inside the gate

    /// <summary>Wraps <paramref name="op"/>; from now on only this view may feed it.</summary>
    public KeyedStateView(KeyedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _operator = op;
    }

    /// <summary>The gate (its <see cref="StateGate.Sequence"/> is the latest published sequence).</summary>
    public StateGate Gate => _gate;

    /// <inheritdoc/>
    public void OnBatch(ReadOnlySpan<RingEntry<TEvent>> entries, long firstSequence)
    {
        _gate.EnterWrite();
        try
        {
            _operator.OnBatch(entries, firstSequence);
        }
        finally
        {
            _gate.ExitWrite(firstSequence + entries.Length);
        }
    }

    /// <summary>Folds a batch (batch mode); the sequence becomes the events applied so far.</summary>
    public void Apply(ReadOnlySpan<TEvent> events)
    {
        _gate.EnterWrite();
        try
        {
            _operator.Apply(events);
        }
        finally
        {
            _applied += events.Length;
            _gate.ExitWrite(_applied);
        }
    }

    /// <inheritdoc/>
    public void Complete()
    {
    }

    /// <summary>Point lookup: <paramref name="key"/>'s current row and the sequence the state was at.</summary>
    public bool TryGet(in TKey key, out TRow row, out long sequence)
    {
        sequence = _gate.EnterRead();
        try
        {
            return _operator.TryGet(key, out row);
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    /// <summary>Range scan: every key's row (no order) appended to <paramref name="into"/>; returns the sequence.</summary>
    public long CopyRows(List<TRow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var sequence = _gate.EnterRead();
        try
        {
            foreach (var row in _operator.GetRows()) into.Add(row);
            return sequence;
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    /// <summary>
    /// Top N: the <paramref name="n"/> rows with the largest <paramref name="field"/>, largest first
    /// (ties in no particular order), and the sequence. Runs in O(keys · log n) inside the gate.
    /// </summary>
    public TRow[] Top<TField>(int n, Func<TRow, TField> field, out long sequence)
        where TField : IComparable<TField>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(field);
        var heap = new TopN<TRow, TField>(n, field);
        sequence = _gate.EnterRead();
        try
        {
            foreach (var row in _operator.GetRows()) heap.Offer(row);
        }
        finally
        {
            _gate.ExitRead();
        }
        return heap.ToArrayDescending();
    }
}

using System.Buffers;
using Kernel.Modes;
using Kernel.Operators;
using Kernel.Ring;

namespace Kernel.Queries;

/// <summary>
/// A windowed operator (tumbling or sliding) whose live state can be queried from any thread while
/// it runs: point lookups by (key, window start) and range scans (all keys of a window, one key
/// across windows, top N of a window). Every batch, tick and end of input is applied inside a
/// <see cref="StateGate"/>, so a query sees the state between two batches and reports its sequence.
/// As a batch target it runs in batch mode (<see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}.ApplyBounded"/>).
/// Live state holds the windows not fired yet and the fired ones inside their allowed lateness;
/// rows already final are queried through <see cref="FinalRows{TRow}"/>.
/// </summary>
/// <typeparam name="TEvent">The input event.</typeparam>
/// <typeparam name="TKey">The grouping key.</typeparam>
/// <typeparam name="TState">The running state per key and window.</typeparam>
/// <typeparam name="TRow">The output row.</typeparam>
/// <typeparam name="TSpec">The compiled aggregation.</typeparam>
public sealed class WindowedStateView<TEvent, TKey, TState, TRow, TSpec> : IBatchHandler<TEvent>, IBatchTarget<TEvent>, IIdleHandler, ILateEventCount
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
    where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
{
    private readonly WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> _operator;
    private readonly StateGate _gate = new();
    private long _sequence;   // written by the writer only, inside the gate

    /// <summary>Wraps <paramref name="op"/>; from now on only this view may feed it.</summary>
    public WindowedStateView(WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> op)
    {
        ArgumentNullException.ThrowIfNull(op);
        _operator = op;
    }

    /// <summary>The gate (its <see cref="StateGate.Sequence"/> is the latest published sequence).</summary>
    public StateGate Gate => _gate;

    /// <summary>The wrapped operator (read its counters; feed it only through this view).</summary>
    public WindowedAggregator<TEvent, TKey, TState, TRow, TSpec> Operator => _operator;

    /// <summary>The operator's late events (<see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}.LateEvents"/>): a kernel reports a view's handler as it would the operator.</summary>
    public long LateEvents => _operator.LateEvents;

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
            _sequence = firstSequence + entries.Length;
            _gate.ExitWrite(_sequence);
        }
    }

    /// <summary>
    /// Passes the processor's idle call on to the operator (periodic emission, periodic watermarks and idle
    /// sources on a quiet stream), inside the write gate like a batch.
    /// </summary>
    public void OnIdle()
    {
        _gate.EnterWrite();
        try
        {
            ((IIdleHandler)_operator).OnIdle();
        }
        finally
        {
            _gate.ExitWrite(_sequence);
        }
    }

    /// <summary>Stream mode without a ring: processes a batch through <see cref="WindowedAggregator{TEvent, TKey, TState, TRow, TSpec}.Apply"/> (watermarks move).</summary>
    public void ApplyStream(ReadOnlySpan<TEvent> events)
    {
        _gate.EnterWrite();
        try
        {
            _operator.Apply(events);
        }
        finally
        {
            _sequence += events.Length;
            _gate.ExitWrite(_sequence);
        }
    }

    /// <summary>Batch mode: folds a batch of a bounded input with the watermark held back.</summary>
    public void Apply(ReadOnlySpan<TEvent> events)
    {
        _gate.EnterWrite();
        try
        {
            _operator.ApplyBounded(events);
        }
        finally
        {
            _sequence += events.Length;
            _gate.ExitWrite(_sequence);
        }
    }

    /// <summary>Ends the input inside the gate (every window fires).</summary>
    public void Complete()
    {
        _gate.EnterWrite();
        try
        {
            _operator.EndOfInput();
        }
        finally
        {
            _gate.ExitWrite(_sequence);
        }
    }

    /// <summary>Point lookup: the current row of (<paramref name="key"/>, window at <paramref name="windowStartMs"/>) and the sequence.</summary>
    public bool TryGet(in TKey key, long windowStartMs, out TRow row, out long sequence)
    {
        sequence = _gate.EnterRead();
        try
        {
            return _operator.TryGetLiveRow(key, windowStartMs, out row);
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    /// <summary>Range scan: every key's row of the window at <paramref name="windowStartMs"/>, appended to <paramref name="into"/>; returns the sequence.</summary>
    public long CopyWindow(long windowStartMs, List<TRow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var visitor = new ListVisitor(into);
        var sequence = _gate.EnterRead();
        try
        {
            _operator.VisitLiveWindow(windowStartMs, ref visitor);
            return sequence;
        }
        finally
        {
            _gate.ExitRead();
        }
    }

    /// <summary>Range scan: <paramref name="key"/>'s row in every live window, by window start, appended to <paramref name="into"/>; returns the sequence.</summary>
    public long CopyKey(in TKey key, List<TRow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var starts = ArrayPool<long>.Shared.Rent(64);
        var sequence = _gate.EnterRead();
        try
        {
            var n = _operator.GetLiveWindowStarts(starts);
            if (n > starts.Length)
            {
                ArrayPool<long>.Shared.Return(starts);
                starts = ArrayPool<long>.Shared.Rent(n);
                n = _operator.GetLiveWindowStarts(starts);
            }
            for (var i = 0; i < n; i++)
                if (_operator.TryGetLiveRow(key, starts[i], out var row)) into.Add(row);
            return sequence;
        }
        finally
        {
            _gate.ExitRead();
            ArrayPool<long>.Shared.Return(starts);
        }
    }

    /// <summary>Top N of one window: the <paramref name="n"/> rows with the largest <paramref name="field"/>, largest first, and the sequence.</summary>
    public TRow[] Top<TField>(long windowStartMs, int n, Func<TRow, TField> field, out long sequence)
        where TField : IComparable<TField>
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentNullException.ThrowIfNull(field);
        var visitor = new TopVisitor<TField>(new TopN<TRow, TField>(n, field));
        sequence = _gate.EnterRead();
        try
        {
            _operator.VisitLiveWindow(windowStartMs, ref visitor);
        }
        finally
        {
            _gate.ExitRead();
        }
        return visitor.Top.ToArrayDescending();
    }

    private readonly struct ListVisitor(List<TRow> into) : IRowVisitor<TRow>
    {
        public void Visit(in TRow row) => into.Add(row);
    }

    private readonly struct TopVisitor<TField>(TopN<TRow, TField> top) : IRowVisitor<TRow>
        where TField : IComparable<TField>
    {
        public TopN<TRow, TField> Top => top;

        public void Visit(in TRow row) => top.Offer(row);
    }
}

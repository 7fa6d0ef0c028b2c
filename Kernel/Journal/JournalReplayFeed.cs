using Kernel.Operators;
using Kernel.Ring;

namespace Kernel.Journal;

/// <summary>
/// Hands journaled events to an operator on replay, a batch at a time: through the operator's batch
/// path (<c>Apply</c>, its call-free direct loop) when the operator is one of Kernel's aggregators and
/// the batch holds events of source 0 only, otherwise as ring entries through
/// <see cref="IBatchHandler{T}.OnBatch"/> exactly as the live ring would.
/// </summary>
/// <remarks>
/// What the ring path does besides folding, and how the batch path keeps it: the ring path marks each
/// event's source active and, after each batch, lets processing time act (<c>Tick</c>: idle sources,
/// periodic watermarks and emission). Here the batch's first event goes through
/// <see cref="IBatchHandler{T}.OnBatch"/> alone (marking source 0 active at this moment, a processing-time
/// step), the rest through <c>Apply</c> (which moves source 0's per-record watermark and fires timers as
/// the ring path's per-event step does), then <c>Tick</c>. So the operator sees the same events in the
/// same order with a processing-time step between two batches, as the live ring gives it at batch
/// boundaries of its own. Replay time is the operator's <c>Apply</c> rate (about 7 ns an event on the
/// headline query) instead of the ring path's (about 12 ns).
/// Only Kernel's two aggregators take the batch path (they implement the internal
/// <see cref="IReplayBatchTarget{TEvent}"/>); a user's handler, whose <c>Apply</c> might mean something
/// else, goes through the ring path.
/// </remarks>
internal sealed class JournalReplayFeed<T>
    where T : unmanaged
{
    private readonly IBatchHandler<T> _handler;
    private readonly IReplayBatchTarget<T>? _target;
    private readonly T[] _events;
    private readonly int[] _sources;
    private readonly long[] _positions;
    private readonly RingEntry<T>[] _entries;
    private int _count;
    private bool _otherSource;

    /// <summary>A feed of batches of up to <paramref name="batchSize"/> events into <paramref name="handler"/>.</summary>
    public JournalReplayFeed(IBatchHandler<T> handler, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 2);
        _handler = handler;
        _target = handler as IReplayBatchTarget<T>;
        _events = new T[batchSize];
        _sources = new int[batchSize];
        _positions = new long[batchSize];
        _entries = new RingEntry<T>[batchSize];
    }

    /// <summary>True when batches of source 0 go through the operator's <c>Apply</c> (tests, diagnostics).</summary>
    public bool UsesBatchPath => _target is not null;

    /// <summary>Events held, not yet handed over.</summary>
    public int Count => _count;

    /// <summary>True when the batch is full: call <see cref="Flush"/>.</summary>
    public bool IsFull => _count == _events.Length;

    /// <summary>Adds one journaled event (its source and source position) to the batch.</summary>
    public void Add(in T e, int source, long position)
    {
        var n = _count;
        _events[n] = e;
        _sources[n] = source;
        _positions[n] = position;
        _otherSource |= source != 0;
        _count = n + 1;
    }

    /// <summary>Hands the batch to the operator (<paramref name="firstSequence"/>: the sequence of its first event) and empties it.</summary>
    public void Flush(long firstSequence)
    {
        var n = _count;
        if (n == 0) return;
        if (_target is not null && !_otherSource && n >= 2)
        {
            Fill(0, 1);
            _handler.OnBatch(_entries.AsSpan(0, 1), firstSequence);
            _target.ApplyReplayed(_events.AsSpan(1, n - 1));
            _target.TickReplayed();
        }
        else
        {
            Fill(0, n);
            _handler.OnBatch(_entries.AsSpan(0, n), firstSequence);
        }
        _count = 0;
        _otherSource = false;
    }

    private void Fill(int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            ref var slot = ref _entries[i];
            slot.Kind = EntryKind.Event;
            slot.SourceId = _sources[i];
            slot.Value = _positions[i];
            slot.Event = _events[i];
        }
    }
}

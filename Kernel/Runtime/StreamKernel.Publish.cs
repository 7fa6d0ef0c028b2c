using Kernel.Ring;
using Kernel.Sources;

namespace Kernel.Runtime;

// Publishing and stopping.
public sealed partial class StreamKernel<TEvent>
{
    /// <summary>Publishes one event, waiting (spinning briefly, then sleeping) while the ring is full.</summary>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    public void Publish(in TEvent item) => _ring.Publish(in item);

    /// <summary>Publishes the events in order, in ring-sized batches, waiting for room as needed.</summary>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    public void Publish(ReadOnlySpan<TEvent> items) => _ring.Publish(items);

    /// <summary>Publishes one event if the ring has room now; false (nothing published) when it is full.</summary>
    public bool TryPublish(in TEvent item) => _ring.TryPublish(in item);

    /// <summary>
    /// Publishes one event; when the ring is full, waits for room asynchronously (woken by the
    /// handlers' progress, not by polling).
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; the event was not published.</exception>
    public ValueTask PublishAsync(TEvent item, CancellationToken cancellationToken = default) =>
        _ring.PublishAsync(item, cancellationToken);

    /// <summary>
    /// Publishes the events in order; while the ring is full, waits for room asynchronously (woken
    /// by the handlers' progress), so a caller such as a source stops reading instead of buffering.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; a prefix of the events may have been published.</exception>
    public ValueTask PublishAsync(ReadOnlyMemory<TEvent> items, CancellationToken cancellationToken = default) =>
        PublishFromSourceAsync(items, default, 0, cancellationToken);

    /// <summary>
    /// Publishes one event of source <paramref name="sourceId"/> (ids 0 … n − 1; a windowed operator needs
    /// <c>WindowOptions.Sources</c> ≥ n and fails naming an id out of its range), waiting while the ring is full.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    public void Publish(in TEvent item, int sourceId)
    {
        CheckSourceId(sourceId);
        _ring.Publish(in item, sourceId, 0);
    }

    /// <summary>Publishes events of source <paramref name="sourceId"/> in order, waiting for room as needed.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    public void Publish(ReadOnlySpan<TEvent> items, int sourceId)
    {
        CheckSourceId(sourceId);
        _ring.Publish(items, sourceId);
    }

    /// <summary>Publishes one event of source <paramref name="sourceId"/> if the ring has room now; false (nothing published) when it is full.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    public bool TryPublish(in TEvent item, int sourceId)
    {
        CheckSourceId(sourceId);
        return _ring.TryPublish(in item, sourceId, 0);
    }

    /// <summary>Publishes one event of source <paramref name="sourceId"/>; when the ring is full, waits for room asynchronously.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; the event was not published.</exception>
    public ValueTask PublishAsync(TEvent item, int sourceId, CancellationToken cancellationToken = default)
    {
        CheckSourceId(sourceId);
        return _ring.PublishAsync(item, sourceId, 0, cancellationToken);
    }

    /// <summary>Publishes events of source <paramref name="sourceId"/> in order; while the ring is full, waits for room asynchronously.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException">Cancelled while waiting; a prefix of the events may have been published.</exception>
    public ValueTask PublishAsync(ReadOnlyMemory<TEvent> items, int sourceId, CancellationToken cancellationToken = default)
    {
        CheckSourceId(sourceId);
        return PublishFromSourceAsync(items, default, sourceId, cancellationToken);
    }

    private ValueTask PublishFromSourceAsync(ReadOnlyMemory<TEvent> items, ReadOnlyMemory<long> positions, int sourceId, CancellationToken cancellationToken)
    {
        var published = _ring.TryPublish(items.Span, sourceId, positions.Span);
        return published == items.Length ? default : PublishFromSourceRestAsync(items[published..], positions.IsEmpty ? default : positions[published..], sourceId, cancellationToken);
    }

    private async ValueTask PublishFromSourceRestAsync(ReadOnlyMemory<TEvent> items, ReadOnlyMemory<long> positions, int sourceId, CancellationToken cancellationToken)
    {
        // One event at a time waits for room for one slot; then the rest goes in as many as fit.
        while (!items.IsEmpty)
        {
            await _ring.PublishAsync(items.Span[0], sourceId, positions.IsEmpty ? 0 : positions.Span[0], cancellationToken).ConfigureAwait(false);
            items = items[1..];
            if (!positions.IsEmpty) positions = positions[1..];
            var n = _ring.TryPublish(items.Span, sourceId, positions.Span);
            items = items[n..];
            if (!positions.IsEmpty) positions = positions[n..];
        }
    }

    /// <summary>
    /// A target through which a source (<see cref="FileSource{T, TParser}"/>, <see cref="StreamSource{T, TParser}"/>,
    /// <see cref="TcpSource{T, TParser}"/>) publishes as source <paramref name="sourceId"/>: each event carries that
    /// id and its source position (<see cref="RingEntry{T}.Value"/>). Several sources, one target each, may run at once
    /// on a kernel with several producers (<see cref="ProducerType.Multi"/>, the default).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    public ISourceTarget<TEvent> SourceTarget(int sourceId)
    {
        CheckSourceId(sourceId);
        return new SourceIdTarget(this, sourceId);
    }

    private sealed class SourceIdTarget(StreamKernel<TEvent> kernel, int sourceId) : ISourceTarget<TEvent>
    {
        public ValueTask PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken) =>
            kernel.PublishFromSourceAsync(events, positions.Length == events.Length ? positions : default, sourceId, cancellationToken);
    }

    private static void CheckSourceId(int sourceId)
    {
        if (sourceId < 0)
            ThrowSourceId(sourceId);
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowSourceId(int sourceId) =>
        throw new ArgumentOutOfRangeException(nameof(sourceId), sourceId, $"Source id {sourceId} is negative: source ids start at 0.");

    /// <summary>A source publishing into the kernel: its batches go into the ring (positions are not journaled here).</summary>
    ValueTask ISourceTarget<TEvent>.PublishAsync(ReadOnlyMemory<TEvent> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken) =>
        PublishAsync(events, cancellationToken);

    /// <summary>
    /// Publishes a watermark: no later event of <paramref name="sourceId"/> has a time at or before <paramref name="eventTimeMs"/>
    /// (Flink's meaning: a window [start, end) fires once the watermark reaches end − 1, and a later event at exactly
    /// <paramref name="eventTimeMs"/> counts as late for a window that has fired).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    public void PublishWatermark(long eventTimeMs, int sourceId = 0)
    {
        CheckSourceId(sourceId);
        PublishControl(EntryKind.Watermark, eventTimeMs, sourceId);
    }

    /// <summary>
    /// <see cref="PublishWatermark"/> for asynchronous callers: completes at once when the ring has room and otherwise
    /// waits for it without blocking the calling thread, as <see cref="PublishAsync(TEvent, CancellationToken)"/> does.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; nothing was published.</exception>
    public ValueTask PublishWatermarkAsync(long eventTimeMs, int sourceId = 0, CancellationToken cancellationToken = default)
    {
        CheckSourceId(sourceId);
        return WithoutSequence(PublishControlAsync(EntryKind.Watermark, eventTimeMs, sourceId, cancellationToken));
    }

    /// <summary>Publishes checkpoint barrier <paramref name="checkpointId"/>; every handler meets it in sequence order.</summary>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    public void PublishBarrier(long checkpointId) => PublishControl(EntryKind.Barrier, checkpointId, 0);

    /// <summary>
    /// <see cref="PublishBarrier"/> for asynchronous callers: waits for room without blocking the calling thread.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; nothing was published.</exception>
    public ValueTask PublishBarrierAsync(long checkpointId, CancellationToken cancellationToken = default) =>
        WithoutSequence(PublishControlAsync(EntryKind.Barrier, checkpointId, 0, cancellationToken));

    /// <summary>
    /// Ends the input of one source: its watermark goes to +∞ in a windowed operator, so it no longer holds
    /// back the others; the kernel keeps running. <see cref="CompleteAsync"/> ends every source.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    public void PublishEndOfInput(int sourceId)
    {
        CheckSourceId(sourceId);
        PublishControl(EntryKind.EndOfInput, 0, sourceId);
    }

    /// <summary>
    /// <see cref="PublishEndOfInput"/> for asynchronous callers: waits for room without blocking the calling thread.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sourceId"/> is negative.</exception>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; nothing was published.</exception>
    public ValueTask PublishEndOfInputAsync(int sourceId, CancellationToken cancellationToken = default)
    {
        CheckSourceId(sourceId);
        return WithoutSequence(PublishControlAsync(EntryKind.EndOfInput, 0, sourceId, cancellationToken));
    }

    /// <summary>
    /// Publishes a control entry and returns its sequence, blocking the calling thread while the ring is full. The claim
    /// is the ring's own (<see cref="RingBuffer{T}.PublishControl"/>): once it sees room it keeps a slot, so the entry
    /// holds its place against producers spinning for room. Counted before that claim (<see cref="EventsPublished"/>, which
    /// never decreases, stands still meanwhile) and taken back when the wait ends in a halt. A claim made just before a halt
    /// that then throws while waiting for capacity (several producers racing for the last slots) stays in the ring's cursor:
    /// <see cref="EventsPublished"/> then counts one event more than was published, as it does for other producers' claims cut off by a halt.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kernel was halted while waiting for room.</exception>
    internal long PublishControl(EntryKind kind, long value, int sourceId)
    {
        Interlocked.Increment(ref _controlEntries);
        try
        {
            return _ring.PublishControlAt(kind, value, sourceId);
        }
        catch
        {
            Interlocked.Decrement(ref _controlEntries);
            throw;
        }
    }

    /// <summary>
    /// Publishes a control entry, at once when there is room, otherwise once the processors' progress makes some.
    /// The entry is counted just before each try and taken back when the ring is full, so that
    /// <see cref="EventsPublished"/> never takes it for an event.
    /// </summary>
    /// <remarks>
    /// A try after a wake-up can lose the room to producers whose blocking claims spin for it: beside such producers on a
    /// full ring the entry may wait for many of their events (see docs/ring.md).
    /// </remarks>
    /// <returns>The entry's sequence.</returns>
    internal ValueTask<long> PublishControlAsync(EntryKind kind, long value, int sourceId, CancellationToken cancellationToken) =>
        TryPublishControlCounted(kind, value, sourceId, out var sequence)
            ? new(sequence)
            : PublishControlSlowAsync(kind, value, sourceId, cancellationToken);

    private async ValueTask<long> PublishControlSlowAsync(EntryKind kind, long value, int sourceId, CancellationToken cancellationToken)
    {
        long sequence;
        do await _ring.WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
        while (!TryPublishControlCounted(kind, value, sourceId, out sequence));
        return sequence;
    }

    /// <summary>One try of a control entry, counted just before it and taken back when the ring is full.</summary>
    private bool TryPublishControlCounted(EntryKind kind, long value, int sourceId, out long sequence)
    {
        Interlocked.Increment(ref _controlEntries);
        if (_ring.TryPublishControl(kind, value, sourceId, out sequence)) return true;
        Interlocked.Decrement(ref _controlEntries);
        return false;
    }

    /// <summary>A published control entry's task without its sequence (allocates only when it had to wait).</summary>
    private static ValueTask WithoutSequence(ValueTask<long> published) =>
        published.IsCompletedSuccessfully ? default : new ValueTask(published.AsTask());

    /// <summary>
    /// Ends the input: publishes end of input for every source (<see cref="SourceIds.All"/>: every
    /// watermark goes to +∞ and every window fires, whatever the number of sources), lets every handler
    /// finish everything published, and stops them (starting them first if they never were). Throws the
    /// handler exception that halted the kernel, if one did.
    /// </summary>
    /// <remarks>
    /// When the ring is full, the end-of-input entry waits for room asynchronously, as
    /// <see cref="PublishAsync(TEvent, CancellationToken)"/> does: the calling thread is not blocked, and
    /// <paramref name="cancellationToken"/> applies to that wait too.
    /// </remarks>
    /// <exception cref="OperationCanceledException">
    /// Cancelled while waiting for room for the end-of-input entry (the handlers then finish what was published
    /// and stop without it, as <see cref="StopAsync"/>), or while draining (the handlers go on draining).
    /// </exception>
    public async Task CompleteAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Running, Configuring) == Configuring)
            StartPipeline();
        if (Interlocked.CompareExchange(ref _state, Stopping, Running) == Running)
        {
            try
            {
                await PublishControlAsync(EntryKind.EndOfInput, 0, SourceIds.All, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidOperationException) when (_ring.Sequencer.IsClosed)
            {
                // Halted by a handler error while waiting for room: Completion carries the error.
            }
            finally
            {
                // Also when cancelled while waiting for room: stop after what was published, as StopAsync does.
                _ = _pipeline.ShutdownAsync();
            }
        }
        await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        KernelLog.Stopped(_logger, Name, EventsPublished);
    }

    /// <summary>
    /// Stops without ending the input (a service shutting down): lets every handler finish what
    /// was published, then stops them. When <paramref name="cancellationToken"/> fires first,
    /// the handlers are halted where they are. A handler error that halted the kernel was
    /// logged and faults <see cref="Completion"/>; it is not thrown here.
    /// </summary>
    /// <exception cref="OperationCanceledException">Cancelled: the kernel was halted instead of drained.</exception>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.CompareExchange(ref _state, Stopping, Configuring) == Configuring)
            _pipeline.Halt();
        else if (Interlocked.CompareExchange(ref _state, Stopping, Running) == Running)
            _ = _pipeline.ShutdownAsync();
        try
        {
            await Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _pipeline.Halt();
            KernelLog.Halted(_logger, Name);
            throw;
        }
        catch (Exception) when (Completion.IsFaulted)
        {
            // Logged when it happened; Completion keeps it.
            return;
        }
        KernelLog.Stopped(_logger, Name, EventsPublished);
    }

    /// <summary>
    /// Drains and stops (as <see cref="StopAsync"/>), then releases the kernel's meter and, for a kernel with
    /// one producer, its ring's slots (the next kernel of this event type and ring size reuses them): do not
    /// publish into the kernel or its <see cref="Ring"/> during or after the call.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _metrics.Dispose();
            // Every processor has exited, and with one producer the caller's contract leaves no publish in
            // progress. Several producers may still be inside a publish on other threads (a service shutting
            // down): their rings keep their slots.
            if (_pipeline.Completion.IsCompleted && _ring.ProducerType == ProducerType.Single)
                _ring.Retire();
        }
    }
}

using Kernel.Ring;
using Kernel.Storage.Log;

namespace Kernel.Journal;

/// <summary>
/// A ring handler that journals every event to a <see cref="SegmentedLog"/> before its effects are
/// committed: one log record per event (<see cref="JournalRecord"/>: the raw event, its source id and
/// the source position it was read at), one log commit per batch. At a barrier (unless
/// <see cref="FlushAtBarriers"/> is off) or the end of input it flushes the log, so a checkpoint can
/// wait (<see cref="WaitForDurableAsync"/>) until the journal is durable through its barrier.
/// Watermarks are not journaled: replay derives them again.
/// </summary>
/// <remarks>
/// Per event: a reservation in the mapped log, a copy of the event, a CRC; no allocation, no
/// virtual call (<typeparamref name="TTime"/> is a struct, so its call is inlined).
/// <para>Threads: <see cref="OnBatch"/> runs on the handler's thread (the log's writer thread).
/// <see cref="JournaledSequence"/>, <see cref="DurableSequence"/>, <see cref="Flush"/> and
/// <see cref="WaitForDurableAsync"/> may be used from any thread.</para>
/// </remarks>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="TTime">Reads an event's time for the record's timestamp.</typeparam>
public sealed class JournalHandler<T, TTime> : IBatchHandler<T>
    where T : unmanaged
    where TTime : struct, IEventTimestamp<T>
{
    private readonly SegmentedLog _log;
    private readonly int _recordLength = JournalRecord.LengthOf<T>();
    private TTime _time;
    private long _journaledSequence = -1; // Volatile.Write after the log commit that holds its records.
    private long _durableSequence = -1;   // Only grows (Interlocked.CompareExchange), after a flush covered it.
    private long _lastBatchSequence = -1; // Handler thread only: sequence ending the previous batch...
    private long _lastBatchEndOffset;     // ...and the log end offset after it.
    private readonly DurableWaiters _waiters = new();

    /// <summary>
    /// Creates a handler over <paramref name="log"/>, which must have been opened with
    /// <see cref="JournalRecord.Fingerprint{T}"/>(<paramref name="layoutFingerprint"/>) as its payload fingerprint.
    /// </summary>
    public JournalHandler(SegmentedLog log, ulong layoutFingerprint, TTime time = default)
    {
        ArgumentNullException.ThrowIfNull(log);
        var expected = JournalRecord.Fingerprint<T>(layoutFingerprint);
        if (log.PayloadFingerprint != expected)
            throw new ArgumentException(
                $"the log in {log.Directory} has payload fingerprint 0x{log.PayloadFingerprint:X16}, but journaling {typeof(T).Name} needs 0x{expected:X16}; open it with LogOptions.PayloadFingerprint = JournalRecord.Fingerprint<{typeof(T).Name}>(layoutFingerprint)",
                nameof(log));
        _log = log;
        _time = time;
        _lastBatchEndOffset = log.EndOffset;
    }

    /// <summary>
    /// Whether a barrier flushes the log on the handler's thread (default true). The flush mostly waits
    /// for the disk (about 90% of its time in the checkpoint benchmark), and while it does nothing is
    /// journaled, so the ring fills and every later handler and every producer stalls: with a
    /// checkpoint a second that was a fifth of the wall time or more on a loaded machine. Off, a barrier
    /// only ends the batch, and whoever needs the barrier durable calls <see cref="Flush"/> from another
    /// thread while the journal goes on (<see cref="JournalParticipant{T, TTime}"/> does, in its snapshot).
    /// </summary>
    public bool FlushAtBarriers { get; init; } = true;

    /// <summary>Every ring entry with a sequence at most this has been appended and committed to the log.</summary>
    public long JournaledSequence => Volatile.Read(ref _journaledSequence);

    /// <summary>Every ring entry with a sequence at most this is on disk (-1 before the first flush).</summary>
    public long DurableSequence => Volatile.Read(ref _durableSequence);

    /// <inheritdoc />
    public void OnBatch(ReadOnlySpan<RingEntry<T>> entries, long firstSequence)
    {
        // A background flush (FlushPolicy.Interval) may have covered the previous batch.
        if (_lastBatchSequence > _durableSequence && _log.DurableOffset >= _lastBatchEndOffset)
            AdvanceDurable(_lastBatchSequence);

        var log = _log;
        var length = _recordLength;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind == EntryKind.Event)
            {
                JournalRecord.Write(log.Reserve(length), entry.Value, entry.SourceId, in entry.Event);
                log.Complete(_time.TimestampOf(in entry.Event));
            }
            else if (entry.Kind == EntryKind.EndOfInput || (entry.Kind == EntryKind.Barrier && FlushAtBarriers))
            {
                FlushThrough(firstSequence + i);
            }
        }
        var last = firstSequence + entries.Length - 1;
        _lastBatchEndOffset = log.Commit();
        _lastBatchSequence = last;
        Volatile.Write(ref _journaledSequence, last);
        if (_log.DurableOffset >= _lastBatchEndOffset) AdvanceDurable(last); // FlushPolicy.EveryAppend
    }

    /// <summary>
    /// Forces everything journaled so far to disk and advances <see cref="DurableSequence"/>.
    /// Safe from any thread (a checkpoint coordinator may call it).
    /// </summary>
    /// <returns>The new <see cref="DurableSequence"/>.</returns>
    public long Flush()
    {
        // Read the sequence first: the commit that covers it happened before it was published,
        // so the flush below (which reads the log's end offset after this) covers it too.
        var sequence = Volatile.Read(ref _journaledSequence);
        _log.Flush();
        AdvanceDurable(sequence);
        return DurableSequence;
    }

    /// <summary>Completes when <see cref="DurableSequence"/> reaches <paramref name="sequence"/>.</summary>
    public Task WaitForDurableAsync(long sequence, CancellationToken cancellationToken = default) =>
        DurableSequence >= sequence ? Task.CompletedTask : _waiters.Add(sequence, this, cancellationToken);

    private void FlushThrough(long sequence)
    {
        _log.Commit();
        _log.Flush();
        AdvanceDurable(sequence);
    }

    private void AdvanceDurable(long sequence)
    {
        var seen = Volatile.Read(ref _durableSequence);
        while (seen < sequence)
        {
            var was = Interlocked.CompareExchange(ref _durableSequence, sequence, seen);
            if (was == seen) { _waiters.Release(sequence); return; }
            seen = was;
        }
    }

    /// <summary>Tasks waiting for the durable sequence; touched only when someone waits.</summary>
    private sealed class DurableWaiters
    {
        private readonly List<(long Sequence, TaskCompletionSource Done)> _list = new();
        private int _count; // Volatile: lets Release skip the lock when nobody waits.

        public Task Add(long sequence, JournalHandler<T, TTime> owner, CancellationToken cancellationToken)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_list)
            {
                _list.Add((sequence, done));
                Volatile.Write(ref _count, _list.Count);
            }
            // Re-check after registering: a release between the caller's check and the Add is not lost.
            if (owner.DurableSequence >= sequence) Release(owner.DurableSequence);
            return cancellationToken.CanBeCanceled ? done.Task.WaitAsync(cancellationToken) : done.Task;
        }

        public void Release(long durable)
        {
            if (Volatile.Read(ref _count) == 0) return;
            lock (_list)
            {
                for (var i = _list.Count - 1; i >= 0; i--)
                {
                    if (_list[i].Sequence > durable) continue;
                    _list[i].Done.TrySetResult();
                    _list.RemoveAt(i);
                }
                Volatile.Write(ref _count, _list.Count);
            }
        }
    }
}

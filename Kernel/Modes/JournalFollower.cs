using Kernel.Journal;
using Kernel.Ring;
using Kernel.Storage.Log;

namespace Kernel.Modes;

/// <summary>
/// Kappa-style replay: feeds a journal, from an offset, into a fresh handler (a new version of an
/// aggregation, usually wrapped in a queryable view) with stream semantics — journal order, ring
/// entries, the operator's own watermark and lateness rule — at full speed, while the live pipeline
/// keeps appending. When it reaches the end of the log it completes <see cref="CaughtUp"/> and goes
/// on following the tail, so the new version stays live; the caller then switches its
/// <see cref="ServingView{T}"/> to it. The handler's entry sequences count from 0 at
/// <c>fromOffset</c>.
/// </summary>
/// <typeparam name="TEvent">The journaled event.</typeparam>
public sealed class JournalFollower<TEvent>
    where TEvent : unmanaged
{
    private static readonly TimeSpan s_tailWait = TimeSpan.FromMilliseconds(100);

    private readonly SegmentedLog _log;
    private readonly IBatchHandler<TEvent> _handler;
    private readonly long _fromOffset;
    private readonly int _batchSize;
    private readonly TaskCompletionSource _caughtUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // The log offset of the next record to feed: written by the follower thread after each batch
    // (Volatile.Write), read by any thread (Volatile.Read).
    private long _nextOffset;

    /// <summary>Creates a follower of <paramref name="log"/> from <paramref name="fromOffset"/> into <paramref name="handler"/>.</summary>
    /// <param name="log">The journal.</param>
    /// <param name="fromOffset">The first offset to replay.</param>
    /// <param name="handler">The fresh instance (called on the follower's thread only).</param>
    /// <param name="batchSize">Records per handler call. Default 1024.</param>
    public JournalFollower(SegmentedLog log, long fromOffset, IBatchHandler<TEvent> handler, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _log = log;
        _handler = handler;
        _fromOffset = fromOffset;
        _nextOffset = fromOffset;
        _batchSize = batchSize;
    }

    /// <summary>Completes the first time the follower has fed every record the log held at that moment.</summary>
    public Task CaughtUp => _caughtUp.Task;

    /// <summary>The offset of the next record to feed (everything before it has been handled).</summary>
    public long NextOffset => Volatile.Read(ref _nextOffset);

    /// <summary>Replays and then follows the log on a dedicated thread until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <returns>A task that completes (with the records fed) when stopped, or faults with the handler's or the log's error.</returns>
    public Task<long> RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private long Run(CancellationToken cancellationToken)
    {
        var batch = new RingEntry<TEvent>[_batchSize];
        long fed = 0;
        try
        {
            using var reader = _log.OpenReader(_fromOffset);
            while (!cancellationToken.IsCancellationRequested)
            {
                var n = 0;
                while (n < batch.Length && reader.TryRead(out var record))
                {
                    ref var slot = ref batch[n];
                    if (!JournalRecord.TryRead(record.Payload, out slot.Event, out var position, out var source))
                        throw new InvalidDataException(
                            $"journal {_log.Directory}: record at offset {record.Offset} has {record.Payload.Length} bytes, a journaled {typeof(TEvent).Name} has {JournalRecord.LengthOf<TEvent>()}");
                    slot.Kind = EntryKind.Event;
                    slot.SourceId = source;
                    slot.Value = position;
                    n++;
                }
                if (n > 0)
                {
                    _handler.OnBatch(batch.AsSpan(0, n), fed);
                    fed += n;
                    Volatile.Write(ref _nextOffset, reader.NextOffset);
                }
                if (n < batch.Length)
                {
                    // The reader caught up with the writer: the new version is live from here on.
                    _caughtUp.TrySetResult();
                    try
                    {
                        reader.WaitForData(s_tailWait, cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        catch (Exception e)
        {
            _caughtUp.TrySetException(e);
            throw;
        }
        _caughtUp.TrySetCanceled(cancellationToken);
        return fed;
    }
}

using Kernel.Journal;
using Kernel.Storage.Log;

namespace Kernel.Modes;

public static partial class BatchRunner
{
    /// <summary>
    /// Runs over a range of a journal: the records at offsets [<paramref name="fromOffset"/>,
    /// <paramref name="toOffset"/>) of <paramref name="log"/>, decoded with <see cref="JournalRecord"/>.
    /// The range is bounded, so batch semantics apply (no event is late); for stream semantics over
    /// a journal (journal order, the lateness rule) replay it through the ring path instead.
    /// </summary>
    /// <param name="target">The operator as a batch target.</param>
    /// <param name="log">The journal.</param>
    /// <param name="fromOffset">The first offset to read.</param>
    /// <param name="toOffset">The offset to stop before; <see cref="long.MaxValue"/> for the end of the log as it is when the run starts.</param>
    /// <param name="options">Batch settings.</param>
    /// <exception cref="InvalidDataException">A record is not the length of a journaled <typeparamref name="TEvent"/>; the message names the log and the offset.</exception>
    public static BatchResult RunLog<TEvent, TTarget>(TTarget target, SegmentedLog log, long fromOffset = 0, long toOffset = long.MaxValue, BatchOptions? options = null)
        where TEvent : unmanaged
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        options = Checked(options);
        var end = Math.Min(toOffset, log.EndOffset);
        // Offsets number records, so the range's record count is known (an ETA); bytes are payload bytes.
        var meter = new ProgressMeter(options, Math.Max(0, end - fromOffset), -1);
        var buffer = new TEvent[options.BatchSize];
        if (fromOffset < end)
        {
            using var reader = log.OpenReader(fromOffset);
            var n = 0;
            long bytes = 0;
            while (reader.NextOffset < end && reader.TryRead(out var record))
            {
                if (!JournalRecord.TryRead(record.Payload, out buffer[n], out _, out _))
                    ThrowRecordLength<TEvent>(log, record.Offset, record.Payload.Length);
                bytes += record.Payload.Length;
                if (++n == buffer.Length)
                {
                    target.Apply(buffer);
                    meter.Add(n, bytes);
                    bytes = 0;
                    n = 0;
                }
            }
            if (n > 0)
            {
                target.Apply(buffer.AsSpan(0, n));
                meter.Add(n, bytes);
            }
        }
        if (options.CompleteAtEnd) target.Complete();
        return meter.Finish();
    }

    /// <summary>
    /// Runs over the journal from the first record whose timestamp is at least
    /// <paramref name="fromTimestamp"/> ("the last 7 days") to the end of the log as it is when the
    /// run starts. Records after that point are all read, even one with an earlier timestamp (a
    /// journal is in arrival order, not event-time order).
    /// </summary>
    /// <param name="target">The operator as a batch target.</param>
    /// <param name="log">The journal.</param>
    /// <param name="fromTimestamp">The record timestamp (as appended) to start at.</param>
    /// <param name="options">Batch settings.</param>
    public static BatchResult RunLogSince<TEvent, TTarget>(TTarget target, SegmentedLog log, long fromTimestamp, BatchOptions? options = null)
        where TEvent : unmanaged
        where TTarget : IBatchTarget<TEvent>
    {
        ArgumentNullException.ThrowIfNull(log);
        long from;
        using (var reader = log.OpenReaderAtTime(fromTimestamp)) from = reader.NextOffset;
        return RunLog<TEvent, TTarget>(target, log, from, long.MaxValue, options);
    }

    private static void ThrowRecordLength<TEvent>(SegmentedLog log, long offset, int length) where TEvent : unmanaged =>
        throw new InvalidDataException(
            $"journal {log.Directory}: record at offset {offset} has {length} bytes, a journaled {typeof(TEvent).Name} has {JournalRecord.LengthOf<TEvent>()}");
}

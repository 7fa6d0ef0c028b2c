using Kernel.Checkpoints;
using Kernel.Journal;
using Kernel.Ring;
using Kernel.Storage.Log;

namespace Kernel.Pipelines;

/// <summary>Feeds journaled events back through an operator on recovery, in journal order, without journaling them again.</summary>
internal static class JournalReplay
{
    private const int BatchSize = 1024;

    /// <summary>
    /// Replays every record of <paramref name="log"/> from <paramref name="offset"/> to its end
    /// through <paramref name="handler"/> as event entries, and records in <paramref name="positions"/>
    /// the last source position seen per source. Returns the number of events replayed.
    /// </summary>
    public static long Run<T>(SegmentedLog log, long offset, IBatchHandler<T> handler, Dictionary<int, long> positions)
        where T : unmanaged
    {
        if (offset >= log.EndOffset) return 0;
        // Through the operator's batch path where it has one (JournalReplayFeed says when and how).
        var feed = new JournalReplayFeed<T>(handler, BatchSize);
        long replayed = 0;
        // The last position per source goes to the dictionary when the source changes and at the end,
        // not per record: a hash store per event, in a loop of about 30 ns of CPU an event.
        var any = false;
        var lastSource = 0;
        long lastPosition = 0;
        // Through pread()s into a reused buffer, not the segments' mappings: a replay reads the whole
        // journal after the checkpoint once, and on a VM with shadow paging the first touch of each
        // mapped page cost more than the rest of the replay (LogScanReader says why).
        using var reader = new LogScanReader(log, offset);
        while (reader.TryRead(out var record))
        {
            if (!JournalRecord.TryRead<T>(record.Payload, out var e, out var position, out var source))
                throw new InvalidDataException(
                    $"journal {log.Directory}: record at offset {record.Offset} has {record.Payload.Length} bytes, a {typeof(T).Name} record has {JournalRecord.LengthOf<T>()}");
            feed.Add(e, source, position);
            if (source != lastSource || !any)
            {
                if (any) positions[lastSource] = lastPosition;
                lastSource = source;
                any = true;
            }
            lastPosition = position;
            if (feed.IsFull)
            {
                var first = replayed;
                replayed += feed.Count;
                feed.Flush(first);
                CrashPoints.Hit("mid-replay");
            }
        }
        if (feed.Count > 0)
        {
            var first = replayed;
            replayed += feed.Count;
            feed.Flush(first);
            CrashPoints.Hit("mid-replay");
        }
        if (any) positions[lastSource] = lastPosition;
        return replayed;
    }
}

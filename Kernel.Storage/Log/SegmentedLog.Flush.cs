using System.Runtime.ExceptionServices;

namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    private Thread? _maintenance;
    private readonly AutoResetEvent _wake = new(false);         // Wakes the maintenance thread.
    private readonly ManualResetEventSlim _preparedReady = new(false); // Set when _prepared holds the requested segment.
    private Segment? _prepared;      // Written by the preparer before _preparedReady is set.
    private int _prepareNumber;      // Volatile: file number requested by the writer, 0 = none.
    private volatile bool _stopping;
    private Exception? _backgroundError;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Segment> _indexWrites = new(); // Sealed segments whose index file the maintenance thread writes.
    private readonly System.Collections.Concurrent.ConcurrentQueue<Segment> _retired = new(); // Segments retention dropped at a roll, whose files the maintenance thread deletes or keeps as spares.
    private Thread? _preparer;       // With PrepareNextSegment: creates the next segment and touches its pages ahead of the writer.
    private readonly AutoResetEvent _prepareWake = new(false);   // Wakes the preparer: a segment was requested, or the log stops.
    private readonly Queue<Segment> _touchQueue = new(); // Preparer only: prepared segments whose pages are still being touched, each holding a reference.
    private long _touchPosition;     // Preparer only: where the touch of the queue's first segment goes on.

    /// <summary>
    /// Forces every committed record to the disk (msync of the bytes written since the last flush)
    /// and advances <see cref="DurableOffset"/>. Safe from any thread.
    /// </summary>
    /// <returns>The new <see cref="DurableOffset"/>.</returns>
    public long Flush()
    {
        lock (_flushLock)
        {
            // EndOffset first: the segment lengths read below are at least the ones it was published with.
            var end = Volatile.Read(ref _endOffset);
            if (end <= _durableOffset) return _durableOffset;
            // Staged records to the file first: every byte of the records below end (the lengths
            // read after end cover them), so the readable lengths below cover them too.
            if (_stage is not null) WriteStaged();
            var segments = Volatile.Read(ref _segments);
            for (var i = segments.Length - 1; i >= 0; i--)
            {
                var s = segments[i];
                // A segment found on disk and not read yet is flushed whole.
                var published = s.IsScanned ? s.ReadableLength : s.Region.Length;
                // A sealed recycled segment's terminator too (written before the seal), so that its
                // end reads as clean after power loss.
                if (s.IsSealed && s.Recycled) published = Math.Min(published + RecordFrame.HeaderLength, s.Region.Length);
                if (s.FlushedLength >= published)
                {
                    if (s.IsSealed) break; // everything older was flushed before this one was sealed and flushed
                    continue;
                }
                if (!s.TryAcquire()) continue;
                try { s.Region.Flush(s.FlushedLength, published); }
                finally { s.Release(); }
                s.FlushedLength = published;
            }
            Volatile.Write(ref _durableOffset, end);
            return end;
        }
    }

    private void StartMaintenance()
    {
        if (!_options.PrepareNextSegment && _options.FlushPolicy != FlushPolicy.Interval) return;
        _maintenance = new Thread(MaintenanceLoop) { IsBackground = true, Name = "Kernel log maintenance" };
        _maintenance.Start();
        if (_options.PrepareNextSegment)
        {
            _preparer = new Thread(PrepareLoop) { IsBackground = true, Name = "Kernel log preparer" };
            _preparer.Start();
        }
        RequestPrepare();
    }

    private void StopMaintenance()
    {
        _stopping = true;
        _wake.Set();
        _prepareWake.Set();
        _maintenance?.Join();
        _preparer?.Join();
        _wake.Dispose();
        _prepareWake.Dispose();
        // Whatever was requested is settled so that Dispose never waits forever.
        _preparedReady.Set();
        while (_touchQueue.TryDequeue(out var s)) s.Release();
        _touchPosition = 0;
    }

    /// <summary>Asks the preparer for the file after the newest one (writer only).</summary>
    private void RequestPrepare()
    {
        if (_preparer is null) return;
        _preparedReady.Reset();
        Volatile.Write(ref _prepareNumber, ++_lastFileNumber);
        _prepareWake.Set();
    }

    /// <summary>The prepared segment, waiting for it when it is still being prepared; null when none was requested.</summary>
    private Segment? TakePrepared()
    {
        if (Volatile.Read(ref _prepareNumber) == 0) return null;
        _preparedReady.Wait();
        if (_backgroundError is { } error) ExceptionDispatchInfo.Throw(error);
        var s = _prepared;
        _prepared = null;
        Volatile.Write(ref _prepareNumber, 0);
        return s;
    }

    private void DiscardPrepared()
    {
        if (Volatile.Read(ref _prepareNumber) != 0 && _preparer is not null) _preparedReady.Wait();
        _prepared?.Retire(delete: true);
        _prepared = null;
        Volatile.Write(ref _prepareNumber, 0);
    }

    /// <summary>Has the index file of a segment just sealed written: on the maintenance thread when there is one, else now (writer only).</summary>
    private void PersistIndex(Segment sealedSegment)
    {
        if (_maintenance is null)
        {
            WriteIndex(sealedSegment);
            return;
        }
        _indexWrites.Enqueue(sealedSegment);
        _wake.Set();
    }

    /// <summary>Deletes or keeps as spares, oldest first, the files of segments retention dropped at a roll (maintenance thread).</summary>
    private void DrainRetired()
    {
        while (_retired.TryDequeue(out var s)) RetireOrRecycle(s);
    }

    private void DrainIndexWrites()
    {
        while (_indexWrites.TryDequeue(out var s)) WriteIndex(s);
    }

    /// <summary>
    /// Writes a segment's index file if it is still sealed and kept. Under the flush lock, which
    /// retention and truncation hold while they delete segments or reopen one for writing.
    /// </summary>
    private void WriteIndex(Segment segment)
    {
        lock (_flushLock)
        {
            if (!segment.IsSealed || Array.IndexOf(Volatile.Read(ref _segments), segment) < 0) return;
            segment.TryWriteIndex();
        }
    }

    /// <summary>
    /// The maintenance thread: interval flushes, index files of sealed segments, and the files of
    /// segments retention dropped. Each may block for milliseconds (a flush waits for the disk, a
    /// 64 MiB file takes tens of milliseconds to delete), which is why the next segment is prepared
    /// on a thread of its own (<see cref="PrepareLoop"/>).
    /// </summary>
    private void MaintenanceLoop()
    {
        var interval = _options.FlushPolicy == FlushPolicy.Interval ? _options.FlushInterval : Timeout.InfiniteTimeSpan;
        while (!_stopping)
        {
            _wake.WaitOne(interval);
            if (_stopping) break;
            try
            {
                if (interval != Timeout.InfiniteTimeSpan && DurableOffset < EndOffset) Flush();
                DrainIndexWrites();
                DrainRetired();
            }
#pragma warning disable CA1031 // the error is handed to the writer, which rethrows it
            catch (Exception e)
#pragma warning restore CA1031
            {
                _backgroundError = e;
                _preparedReady.Set();
            }
        }
        DrainIndexWrites();
        DrainRetired();
    }

    /// <summary>
    /// The preparer: creates the segment the writer requested at its last roll as soon as it is
    /// asked for (between two touched chunks), and touches the pages of the prepared segments ahead
    /// of the writer chunk by chunk (<see cref="TouchAhead"/>), oldest first. Apart from the flushes,
    /// deletions and index writes of the maintenance thread, so a roll never waits behind them and
    /// the touch never stalls while the writer catches up.
    /// </summary>
    private void PrepareLoop()
    {
        while (!_stopping)
        {
            if (_touchQueue.Count == 0) _prepareWake.WaitOne();
            if (_stopping) break;
            try
            {
                // The event first, then the number: the writer resets the event before it writes a
                // new number, and zeroes the number only after taking a prepared file. Read the other
                // way round, a number read just before the writer took its file could be paired with
                // the event the writer reset for the next request, and the taken file created again.
                if (!_preparedReady.IsSet)
                {
                    var number = Volatile.Read(ref _prepareNumber);
                    if (number != 0)
                    {
                        // Handed over untouched: its pages are touched below, ahead of the writer,
                        // so a roll never waits for the whole segment to be touched.
                        var prepared = CreateSegmentFile(number, touch: false);
                        if (TouchPages && prepared.TryAcquire()) _touchQueue.Enqueue(prepared);
                        _prepared = prepared;
                        _preparedReady.Set();
                    }
                }
                TouchAhead();
            }
#pragma warning disable CA1031 // the error is handed to the writer, which rethrows it
            catch (Exception e)
#pragma warning restore CA1031
            {
                _backgroundError = e;
                _preparedReady.Set();
            }
        }
        _preparedReady.Set();
    }

    /// <summary>
    /// Touches the next chunk of the oldest segment in the touch queue (preparer only):
    /// from where it stopped, or from the writer's position when the writer is already in that
    /// segment and past it (pages behind the writer were faulted in by its own writes). The queue
    /// holds a reference on each segment, so none is unmapped under the touch; the touch writes
    /// nothing (<see cref="MappedRegion.TouchShared"/>), so it may race the writer, truncation and
    /// recovery freely.
    /// </summary>
    private void TouchAhead()
    {
        if (!_touchQueue.TryPeek(out var s)) return;
        const long chunk = 1 << 20;
        var page = Environment.SystemPageSize;
        var from = Math.Max(_touchPosition, (s.PublishedLength + page - 1) & ~(long)(page - 1));
        var to = Math.Min(from + chunk, s.Region.Length);
        if (from < to && !s.IsSealed) s.Region.TouchShared(from, to);
        _touchPosition = to;
        if (to < s.Region.Length && !s.IsSealed) return;
        _touchQueue.TryDequeue(out _);
        s.Release();
        _touchPosition = 0;
    }
}

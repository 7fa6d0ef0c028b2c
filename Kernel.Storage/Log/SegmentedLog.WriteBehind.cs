namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    // Write-behind on a thread of its own (with a maintenance thread): sync_file_range(WRITE) does
    // not wait for the write, but it does wait to queue it when the disk's queue is full: under
    // strace (session 7, loaded machine) the benchmark's writer spent 3.1 s in 1,722 such calls
    // (1.8 ms on average, up to 15 ms) over 36 durable runs of 0.1-0.4 s each. The writer now only
    // records the range; this thread submits it.
    private Thread? _writeBehindThread;
    private readonly AutoResetEvent _writeBehindWake = new(false);
    private readonly Lock _writeBehindLock = new(); // Guards the pending range (taken every WriteBehindBytes, never per record).
    private Segment? _writeBehindSegment; // The pending range's segment.
    private long _pendingFrom;       // Pending range [_pendingFrom, _pendingTo) of _writeBehindSegment; empty when equal.
    private long _pendingTo;

    private void StartWriteBehindThread()
    {
        if (_options.WriteBehindBytes <= 0 || _maintenance is null || !OperatingSystem.IsLinux()) return;
        _writeBehindThread = new Thread(WriteBehindLoop) { IsBackground = true, Name = "Kernel log write-behind" };
        _writeBehindThread.Start();
    }

    private void StopWriteBehindThread()
    {
        if (_writeBehindThread is null) return;
        _writeBehindWake.Set(); // _stopping is already set
        _writeBehindThread.Join();
        _writeBehindThread = null;
    }

    /// <summary>
    /// Has bytes [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="segment"/> handed
    /// to the disk: by the write-behind thread when there is one (writer only). A range still pending
    /// for another segment is dropped: write-behind is a hint, the next flush writes those pages.
    /// </summary>
    private void RequestWriteBehind(Segment segment, long from, long to)
    {
        if (_writeBehindThread is null)
        {
            segment.Region.StartWriteBack(from, to);
            return;
        }
        lock (_writeBehindLock)
        {
            if (ReferenceEquals(_writeBehindSegment, segment) && _pendingTo == from) _pendingTo = to;
            else
            {
                _writeBehindSegment = segment;
                _pendingFrom = from;
                _pendingTo = to;
            }
        }
        _writeBehindWake.Set();
    }

    private void WriteBehindLoop()
    {
        while (!_stopping)
        {
            _writeBehindWake.WaitOne();
            Segment? segment;
            long from, to;
            lock (_writeBehindLock)
            {
                segment = _writeBehindSegment;
                from = _pendingFrom;
                to = _pendingTo;
                _pendingFrom = to;
            }
            if (segment is null || to <= from || !segment.TryAcquire()) continue;
            try { segment.Region.StartWriteBack(from, to); }
            finally { segment.Release(); }
        }
        lock (_writeBehindLock) _writeBehindSegment = null;
    }
}

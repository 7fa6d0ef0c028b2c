namespace Kernel.Storage.Log;

public sealed partial class SegmentedLog
{
    private static readonly TimeSpan s_waitBackstop = TimeSpan.FromMilliseconds(20);

    /// <summary>Opens a reader positioned at <paramref name="offset"/> (from <see cref="StartOffset"/> to <see cref="EndOffset"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset was removed by retention or is not written yet.</exception>
    public LogReader OpenReader(long offset)
    {
        var reader = new LogReader(this);
        try { reader.Seek(offset); }
        catch { reader.Dispose(); throw; }
        return reader;
    }

    /// <summary>
    /// Opens a reader positioned at the first record (in offset order) whose timestamp is at least
    /// <paramref name="timestamp"/>, or at <see cref="EndOffset"/> when there is none. Records after
    /// it may have earlier timestamps (event time need not be ordered); every record before it has an earlier one.
    /// </summary>
    public LogReader OpenReaderAtTime(long timestamp)
    {
        var reader = new LogReader(this);
        try { reader.SeekTime(timestamp); }
        catch { reader.Dispose(); throw; }
        return reader;
    }

    /// <summary>The current segment array (acquire).</summary>
    internal Segment[] SegmentsSnapshot => Volatile.Read(ref _segments);

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Blocks until <see cref="EndOffset"/> passes <paramref name="offset"/>, the timeout ends, the
    /// token is cancelled or the log is disposed. The writer signals waiters after each commit; a
    /// wake-up it misses (it reads <see cref="_waiters"/> without a full fence, to keep commits cheap)
    /// is caught by re-checking every <see cref="s_waitBackstop"/>.
    /// </summary>
    internal bool WaitForAppend(long offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _endOffset) > offset) return true;
        var deadline = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        Interlocked.Increment(ref _waiters); // a full fence: the end offset read below is not older than it
        try
        {
            lock (_signal)
            {
                while (Volatile.Read(ref _endOffset) <= offset)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (IsDisposed) return false;
                    var left = deadline - Environment.TickCount64;
                    if (left <= 0) return false;
                    ReaderParkingHook?.Invoke();   // test hook (slow path: about to park)
                    Monitor.Wait(_signal, (int)Math.Min(Math.Min(left, _waitBackstopMs), int.MaxValue));
                }
                return true;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    private long _waitBackstopMs = (long)s_waitBackstop.TotalMilliseconds;

    /// <summary>Test hook: runs on a waiting reader's thread, under the signal's lock, just before it parks; null otherwise.</summary>
    internal Action? ReaderParkingHook { get; set; }

    /// <summary>
    /// Tests only: turns the re-check every <see cref="s_waitBackstop"/> off, so a parked reader wakes only
    /// when the writer signals it (or at its timeout), and a test can tell that the signal arrived.
    /// </summary>
    internal void DisableWaitBackstop() => _waitBackstopMs = long.MaxValue;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void WakeReaders()
    {
        lock (_signal) Monitor.PulseAll(_signal);
    }
}

using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kernel.Modes;

/// <summary>Counts a batch run and reports progress at most every interval. Updated once per batch, never per event.</summary>
internal struct ProgressMeter
{
    private readonly Action<BatchProgress>? _callback;
    private readonly long _intervalTicks;
    private readonly long _start;
    private long _nextReport;

    public long Records;
    public long Bytes;
    public long TotalRecords;
    public long TotalBytes;

    public ProgressMeter(BatchOptions options, long totalRecords, long totalBytes)
    {
        _callback = options.Progress;
        _intervalTicks = options.ProgressIntervalMs * Stopwatch.Frequency / 1000;
        _start = Stopwatch.GetTimestamp();
        _nextReport = _start + _intervalTicks;
        TotalRecords = totalRecords;
        TotalBytes = totalBytes;
    }

    /// <summary>Counts one batch and reports when the interval has passed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long records, long bytes)
    {
        Records += records;
        Bytes += bytes;
        if (_callback is null) return;
        var now = Stopwatch.GetTimestamp();
        if (now >= _nextReport) Report(now, isFinal: false);
    }

    /// <summary>True when a progress callback is set.</summary>
    public readonly bool Reports => _callback is not null;

    /// <summary>Milliseconds until the next report is due (at least 1), or <see cref="Timeout.Infinite"/> without a callback.</summary>
    public readonly int MillisUntilReport =>
        _callback is null ? Timeout.Infinite
        : (int)Math.Clamp((_nextReport - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency, 1, int.MaxValue);

    /// <summary>Sets the records read so far (several workers counted together) and reports when the interval has passed.</summary>
    public void SetRecords(long records)
    {
        Records = records;
        if (_callback is null) return;
        var now = Stopwatch.GetTimestamp();
        if (now >= _nextReport) Report(now, isFinal: false);
    }

    /// <summary>The final report; returns the run's result.</summary>
    public BatchResult Finish()
    {
        var now = Stopwatch.GetTimestamp();
        if (_callback is not null) Report(now, isFinal: true);
        return new BatchResult(Records, Bytes, Stopwatch.GetElapsedTime(_start, now));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Report(long now, bool isFinal)
    {
        _nextReport = now + _intervalTicks;
        _callback!(new BatchProgress(Records, Bytes, TotalRecords, TotalBytes, Stopwatch.GetElapsedTime(_start, now), isFinal));
    }
}

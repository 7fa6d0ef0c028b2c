using System.Diagnostics;

namespace Kernel.Sources;

/// <summary>
/// Live counters of one source: bytes and records read, bad records, and the rates since the
/// first read. The read loop adds to them once per read buffer (never per record), and mirrors
/// each addition to the <c>Kernel</c> meter (<see cref="SourceMetrics"/>).
/// </summary>
/// <remarks>
/// Writers are the source's read loops (several for a TCP source, one per connection), so the
/// counters are updated with <see cref="Interlocked"/>; readers on any thread see a value that
/// may lag by one buffer.
/// </remarks>
public sealed class SourceProgress
{
    private readonly KeyValuePair<string, object?> _tag;
    // All three: written with Interlocked.Add by read loops, read with Volatile.Read.
    private long _bytesRead;
    private long _recordsRead;
    private long _badRecords;
    // Stopwatch timestamp of the first read; 0 until then. Set once with CompareExchange.
    private long _startTimestamp;
    // The most recent bad record; replaced with Volatile.Write on the (rare) failure path.
    private BadRecord? _lastBadRecord;

    /// <summary>Creates the counters of the source named <paramref name="source"/>.</summary>
    /// <param name="source">The source name used as the <c>source</c> tag of the metrics.</param>
    public SourceProgress(string source)
    {
        Source = source;
        _tag = new KeyValuePair<string, object?>("source", source);
    }

    /// <summary>The source name: a file name, <c>stdin</c> or <c>tcp:port</c>.</summary>
    public string Source { get; }

    /// <summary>Bytes framed so far (records, terminators, skipped and bad bytes).</summary>
    public long BytesRead => Volatile.Read(ref _bytesRead);

    /// <summary>Records parsed into events so far (the header, empty lines and bad records excluded).</summary>
    public long RecordsRead => Volatile.Read(ref _recordsRead);

    /// <summary>Records that could not be framed or parsed (skipped, dead-lettered or failed).</summary>
    public long BadRecords => Volatile.Read(ref _badRecords);

    /// <summary>The most recent bad record, or null.</summary>
    public BadRecord? LastBadRecord => Volatile.Read(ref _lastBadRecord);

    /// <summary>Time since the first read, or zero before it.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            var start = Volatile.Read(ref _startTimestamp);
            return start == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(start);
        }
    }

    /// <summary>Records per second since the first read.</summary>
    public double RecordsPerSecond => Rate(RecordsRead);

    /// <summary>Bytes per second since the first read.</summary>
    public double BytesPerSecond => Rate(BytesRead);

    private double Rate(long count)
    {
        var seconds = Elapsed.TotalSeconds;
        return seconds > 0 ? count / seconds : 0;
    }

    /// <summary>Marks the first read (the start of the rates). Later calls do nothing.</summary>
    internal void Start() => Interlocked.CompareExchange(ref _startTimestamp, Stopwatch.GetTimestamp(), 0);

    /// <summary>Adds one buffer's worth of counts. Called per read buffer or batch, never per record.</summary>
    internal void Add(long bytes, long records)
    {
        if (bytes != 0)
        {
            Interlocked.Add(ref _bytesRead, bytes);
            SourceMetrics.BytesRead.Add(bytes, _tag);
        }
        if (records != 0)
        {
            Interlocked.Add(ref _recordsRead, records);
            SourceMetrics.RecordsRead.Add(records, _tag);
        }
    }

    /// <summary>Counts a bad record and remembers it. Called on the failure path only.</summary>
    internal void AddBad(BadRecord record)
    {
        Interlocked.Increment(ref _badRecords);
        Volatile.Write(ref _lastBadRecord, record);
        SourceMetrics.BadRecords.Add(1, _tag);
    }
}

namespace Kernel.Storage.Log;

/// <summary>Settings of a <see cref="SegmentedLog"/>.</summary>
public sealed class LogOptions
{
    /// <summary>Size of each segment file in bytes, preallocated when the file is created (default 64 MiB).</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// A fingerprint of what the payloads are (for example an event layout). Written into every
    /// segment header; opening a log written with another fingerprint fails.
    /// </summary>
    public ulong PayloadFingerprint { get; init; }

    /// <summary>When records are forced to disk (default <see cref="FlushPolicy.OnDemand"/>).</summary>
    public FlushPolicy FlushPolicy { get; init; } = FlushPolicy.OnDemand;

    /// <summary>The period of <see cref="FlushPolicy.Interval"/> (default 10 ms).</summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>Bytes of records between two sparse-index entries (default 4 KiB); a seek scans at most this much.</summary>
    public int IndexIntervalBytes { get; init; } = 4096;

    /// <summary>
    /// Prepare (create, preallocate, map and, with <see cref="PreTouchPages"/>, touch every page of)
    /// the next segment on a thread of its own (the preparer, apart from the maintenance thread's
    /// flushes and deletions), so a roll costs the writer almost nothing (default true).
    /// </summary>
    public bool PrepareNextSegment { get; init; } = true;

    /// <summary>
    /// With <see cref="StagingBytes"/> 0 only (staged writes never store into the mapping):
    /// fault in every page of a new segment for writing before the writer uses it (one
    /// <c>madvise(MADV_POPULATE_WRITE)</c> per 1 MiB on Linux 5.14 and later, else a write per page),
    /// so appends never take a first-write page fault (1–6 µs a page). The first segment is touched
    /// when the log is opened; later ones by the preparer with <see cref="PrepareNextSegment"/> (handed to
    /// the writer as soon as the file exists and touched ahead of it, so a roll never waits for the
    /// touch), else at the roll (default true).
    /// </summary>
    public bool PreTouchPages { get; init; } = true;

    /// <summary>
    /// Write-behind: each time the writer has filled this many more bytes of a segment, it asks the
    /// OS to start writing them to the disk without waiting (<c>sync_file_range</c> on Linux; nothing
    /// elsewhere), so a later <see cref="SegmentedLog.Flush"/> waits only for the rest. Checked once
    /// per index interval, not per record. It does not make anything durable by itself:
    /// <see cref="SegmentedLog.DurableOffset"/> still moves only on a flush (default 0: off).
    /// </summary>
    public int WriteBehindBytes { get; init; }

    /// <summary>
    /// Staged writes: the writer frames records into a staging buffer of this many bytes (allocated
    /// and touched once per log, reused for every segment) and hands it to the file with one
    /// <c>pwrite</c> each time it fills, at a roll, at a flush, and when a reader reaches records
    /// still staged (the reader writes them out itself, so records are readable as soon as they are
    /// committed, as without staging). Readers still read the mapping, which shares the file's
    /// pages. The writer then never stores into a freshly mapped page: on virtual machines with
    /// shadow paging every first store to a mapped page costs 6–14 µs, while a large pwrite into the
    /// page cache runs at 6–10 GB/s (Kernel.Bench/Notes/log.md, session 9), and writeback never has to
    /// write-protect the writer's mapping. 0: the writer stores records straight into the mapping
    /// (pre-touched with <see cref="PreTouchPages"/>), which is faster where first touches are cheap.
    /// Records larger than the buffer are stored into the mapping either way (default 1 MiB).
    /// </summary>
    public int StagingBytes { get; init; } = 1 << 20;

    /// <summary>Retention: delete the oldest sealed segments while the log is larger than this (0 = no limit).</summary>
    public long RetentionBytes { get; init; }

    /// <summary>Retention: delete sealed segments sealed longer ago than this (zero = no limit).</summary>
    public TimeSpan RetentionAge { get; init; }

    /// <summary>
    /// Segment recycling: keep up to this many segment files that retention frees, as
    /// <c>NNNNNNNNNN.spare</c>, and make new segments from them instead of fresh files. Only a
    /// spare's header is blanked (and fdatasynced) before it gets a segment's name; its old records
    /// stay and are never read as new ones (a frame's checksum covers its offset, and every old
    /// offset is below the new segment's base). Its disk blocks were written before (on disks where
    /// the first write to a block is slow, thin-provisioned or discarded storage, a flush then runs
    /// up to 1.6× faster) and its pages are still cached, so preparing it allocates no memory.
    /// Spares count against disk space beyond <see cref="RetentionBytes"/>; they are reused after a
    /// restart. Linux only; elsewhere freed files are deleted (default 0: off).
    /// </summary>
    public int RecycleSegments { get; init; }

    /// <summary>The clock for segment creation times and retention by age (default the system clock).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>The largest segment: 1 GiB (spans over a segment stay below 2 GiB).</summary>
    public const long MaxSegmentBytes = 1L << 30;

    internal void Validate()
    {
        if (SegmentBytes < SegmentHeader.Length + 4096 || SegmentBytes % RecordFrame.Alignment != 0 || SegmentBytes > MaxSegmentBytes)
            throw new ArgumentOutOfRangeException(nameof(SegmentBytes), SegmentBytes, $"SegmentBytes must be a multiple of 8 from 4160 to {MaxSegmentBytes}");
        if (IndexIntervalBytes < 64)
            throw new ArgumentOutOfRangeException(nameof(IndexIntervalBytes), IndexIntervalBytes, "IndexIntervalBytes must be at least 64");
        if (FlushPolicy == FlushPolicy.Interval && FlushInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(FlushInterval), FlushInterval, "FlushInterval must be positive with FlushPolicy.Interval");
        if (WriteBehindBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(WriteBehindBytes), WriteBehindBytes, "WriteBehindBytes must not be negative");
        if (StagingBytes != 0 && (StagingBytes < 256 || StagingBytes % RecordFrame.Alignment != 0))
            throw new ArgumentOutOfRangeException(nameof(StagingBytes), StagingBytes, "StagingBytes must be 0 (off) or a multiple of 8 of at least 256");
        if (RecycleSegments < 0)
            throw new ArgumentOutOfRangeException(nameof(RecycleSegments), RecycleSegments, "RecycleSegments must not be negative");
        if (RetentionBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(RetentionBytes), RetentionBytes, "RetentionBytes must not be negative");
        if (RetentionAge < TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(RetentionAge), RetentionAge, "RetentionAge must not be negative");
    }
}

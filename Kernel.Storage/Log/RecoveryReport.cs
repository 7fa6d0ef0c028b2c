namespace Kernel.Storage.Log;

/// <summary>What opening a log found and repaired.</summary>
/// <param name="Segments">Segment files kept.</param>
/// <param name="RecordsDropped">Torn or bad records cut from the tail segment (an estimate when the garbage has no readable frames: at least 1 when any byte was dropped). In a tail made from a recycled file, 1: the bad frame the scan stopped at (what follows cannot be told from the file's older records).</param>
/// <param name="BytesDropped">Bytes cut from the tail segment (up to its last non-zero byte; in a tail made from a recycled file, the first bad frame's).</param>
/// <param name="BlankSegmentsDeleted">Prepared segments that were never started (a zero header), deleted.</param>
/// <param name="TailFile">The tail segment's file, or null for a new log.</param>
/// <param name="TruncatedAt">The byte position in <paramref name="TailFile"/> where data was cut, or -1 when nothing was.</param>
public readonly record struct RecoveryReport(int Segments, long RecordsDropped, long BytesDropped, int BlankSegmentsDeleted, string? TailFile, long TruncatedAt)
{
    /// <summary>True when recovery cut anything.</summary>
    public bool Repaired => BytesDropped > 0;
}

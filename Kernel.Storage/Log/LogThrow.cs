using System.Diagnostics.CodeAnalysis;

namespace Kernel.Storage.Log;

/// <summary>Throws for the log's hot paths, kept out of line so the callers stay small.</summary>
internal static class LogThrow
{
    [DoesNotReturn]
    public static void RegionOutOfRange(long position, int length, long regionLength) =>
        throw new ArgumentOutOfRangeException(nameof(position), $"bytes [{position}, {position + length}) fall outside the mapped segment of {regionLength} bytes");

    [DoesNotReturn]
    public static void FlushFailed(int errno) =>
        throw new IOException($"msync failed with errno {errno}");

    [DoesNotReturn]
    public static void PayloadTooLarge(int length, int max) =>
        throw new ArgumentOutOfRangeException("payload", $"a record payload of {length} bytes does not fit a segment; the largest is {max} bytes (raise LogOptions.SegmentBytes)");

    [DoesNotReturn]
    public static void NotReserved() =>
        throw new InvalidOperationException("Complete was called without a Reserve before it");

    [DoesNotReturn]
    public static void AlreadyReserved() =>
        throw new InvalidOperationException("Reserve was called twice without Complete between");

    [DoesNotReturn]
    public static void Disposed() => throw new ObjectDisposedException("SegmentedLog");

    [DoesNotReturn]
    public static void Corrupt(string path, long position, string message) =>
        throw new LogCorruptionException(path, position, message);
}

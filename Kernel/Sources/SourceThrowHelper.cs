using System.Diagnostics.CodeAnalysis;

namespace Kernel.Sources;

/// <summary>Throws for the sources, out of line so the hot paths stay small.</summary>
internal static class SourceThrowHelper
{
    [DoesNotReturn]
    public static void ThrowBadRecord(BadRecord record) => throw new BadRecordException(record);

    [DoesNotReturn]
    public static void ThrowNotARecordBoundary(string source, long position) =>
        throw new ArgumentOutOfRangeException(nameof(position),
            $"{source}: byte {position} is not a record boundary (the byte before it is not a line feed); resume only from a position a source reported.");

    [DoesNotReturn]
    public static void ThrowPositionBeyondEnd(string source, long position, long length) =>
        throw new ArgumentOutOfRangeException(nameof(position),
            $"{source}: resume position {position} is beyond the end of the file ({length} bytes).");

    [DoesNotReturn]
    public static void ThrowNegativePosition(long position) =>
        throw new ArgumentOutOfRangeException(nameof(position), $"A resume position must be 0 or more, was {position}.");
}

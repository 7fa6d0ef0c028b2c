using System.Diagnostics.CodeAnalysis;

namespace Kernel.Sketches;

/// <summary>Throws for the sketches, out of line so the hot paths stay small.</summary>
internal static class SketchThrowHelper
{
    [DoesNotReturn]
    public static void ArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);

    [DoesNotReturn]
    public static void Argument(string paramName, string message) =>
        throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    public static void InvalidOperation(string message) =>
        throw new InvalidOperationException(message);

    [DoesNotReturn]
    public static void InvalidData(string format, string field, int offset, string problem) =>
        throw new InvalidDataException($"{format}: field '{field}' at offset {offset}: {problem}");

    [DoesNotReturn]
    public static void DestinationTooSmall(string paramName, int needed, int actual) =>
        throw new ArgumentException($"The destination holds {actual} bytes; {needed} are needed.", paramName);
}

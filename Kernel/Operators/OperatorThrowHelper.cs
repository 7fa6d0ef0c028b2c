using System.Diagnostics.CodeAnalysis;

namespace Kernel.Operators;

/// <summary>Throws for the operators, out of line so their loops stay small.</summary>
internal static class OperatorThrowHelper
{
    [DoesNotReturn]
    public static void ThrowSourceId(int sourceId, int sources) =>
        throw new ArgumentOutOfRangeException(nameof(sourceId), sourceId, $"Source id must be in [0, {sources}); raise WindowOptions.Sources.");

    [DoesNotReturn]
    public static void ThrowOption(string name, long value, string rule) =>
        throw new ArgumentOutOfRangeException(name, value, $"{name} {rule}.");
}

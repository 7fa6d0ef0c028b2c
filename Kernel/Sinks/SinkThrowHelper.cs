using System.Diagnostics.CodeAnalysis;

namespace Kernel.Sinks;

/// <summary>Throws for the sinks' per-row paths, kept out of line so the callers stay small.</summary>
internal static class SinkThrowHelper
{
    [DoesNotReturn]
    public static void ThrowNotRecovered(string sink) =>
        throw new InvalidOperationException($"sink '{sink}': call RecoverAsync once before writing, so staged epochs from an earlier run are settled first");
}

using System.Diagnostics.CodeAnalysis;

namespace Kernel.Operators;

/// <summary>Throws for the operators' query reads, out of line.</summary>
internal static class QueryThrowHelper
{
    [DoesNotReturn]
    public static void ThrowSessionQuery() =>
        throw new NotSupportedException("Live queries by window start are not supported for session windows (their bounds move with every event); query the finalized rows instead.");
}

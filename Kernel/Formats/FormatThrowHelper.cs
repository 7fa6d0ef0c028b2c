using System.Diagnostics.CodeAnalysis;

namespace Kernel.Formats;

/// <summary>Throws for the format helpers and generated readers, keeping throw sites out of hot methods.</summary>
public static class FormatThrowHelper
{
    /// <summary>Throws an <see cref="EventFormatException"/> for <paramref name="error"/>.</summary>
    /// <param name="error">What went wrong and where.</param>
    [DoesNotReturn]
    public static void ThrowFormat(FormatError error) => throw new EventFormatException(error);

    [DoesNotReturn]
    internal static void ThrowMemberIndex(int member, int count) =>
        throw new ArgumentOutOfRangeException(nameof(member), member, $"A member index must be in [0, {count}).");
}

using System.Diagnostics.CodeAnalysis;

namespace Kernel.Ring;

/// <summary>Throws for the ring's hot paths, kept out of line so the callers stay small and inlinable.</summary>
internal static class RingThrowHelper
{
    [DoesNotReturn]
    public static void ThrowCountOutOfRange(int count, int bufferSize) =>
        throw new ArgumentOutOfRangeException(nameof(count), count,
            $"A claim must be between 1 and the ring size ({bufferSize}) entries.");

    [DoesNotReturn]
    public static void ThrowHalted() =>
        throw new InvalidOperationException(
            "The ring was halted (its processors stopped): a producer waiting for room would wait forever.");

    [DoesNotReturn]
    public static void ThrowAlreadyFinished() =>
        throw new InvalidOperationException("The claimed batch was already published or abandoned.");

    [DoesNotReturn]
    public static void ThrowNotLatestClaim() =>
        throw new InvalidOperationException(
            "A single-producer ring can only abandon its most recent claim: publish or abandon claims in reverse order of claiming.");

    [DoesNotReturn]
    public static void ThrowIndexOutOfRange(int index, int count) =>
        throw new ArgumentOutOfRangeException(nameof(index), index, $"The claimed batch holds {count} entries.");
}

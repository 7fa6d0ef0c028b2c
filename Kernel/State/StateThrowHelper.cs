using System.Diagnostics.CodeAnalysis;

namespace Kernel.State;

/// <summary>Throws for the state tables, out of line so the callers' fast paths stay small.</summary>
internal static class StateThrowHelper
{
    [DoesNotReturn]
    public static void ThrowInvalidSnapshot(string aggregation, int offset, string problem) =>
        throw new InvalidDataException($"State snapshot for aggregation '{aggregation}' is invalid at byte offset {offset}: {problem}.");

    [DoesNotReturn]
    public static void ThrowFingerprintMismatch(string aggregation, string writtenBy, ulong expected, ulong actual) =>
        throw new InvalidDataException(
            $"State snapshot cannot be restored into aggregation '{aggregation}': it was written by '{writtenBy}' " +
            $"with state fingerprint 0x{actual:X16}, but this build's key/state layout has fingerprint 0x{expected:X16}. " +
            "The aggregation's key or state members changed; rebuild the state from the journal instead.");

    [DoesNotReturn]
    public static void ThrowCapacity(int requested) =>
        throw new ArgumentOutOfRangeException(nameof(requested), requested, "Capacity must be between 0 and 2^30 entries.");

    [DoesNotReturn]
    public static void ThrowTableFull(string aggregation) =>
        throw new InvalidOperationException($"State table of aggregation '{aggregation}' cannot grow past 2^30 entries.");

    [DoesNotReturn]
    public static void ThrowSlotOutOfRange(int slot) =>
        throw new IndexOutOfRangeException($"State table slot {slot} is outside the table.");
}

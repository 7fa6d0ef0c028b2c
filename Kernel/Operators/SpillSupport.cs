using Kernel.Checkpoints;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

/// <summary>
/// What the keyed and the windowed operator's state budgets share (docs/state-and-memory.md): finding
/// the participant's store from the options, deciding at a barrier whether the store may take spilled
/// entries, and the store key of a spilled entry (the incremental checkpoint's: prefix ‖ bucket id ‖ key).
/// </summary>
internal static class SpillSupport
{
    /// <summary>The participant given as the options' control, as the store a budget spills into; throws naming the option when it is not one.</summary>
    public static ISpillStore Source(IControlListener? control, long budget, string aggregation, string entries)
    {
        if (control is ISpillStore source) return source;
        OperatorThrowHelper.ThrowOption("StateBudgetEntries", budget, $"needs the state of aggregation '{aggregation}' in an LSM store: set Control to the OperatorParticipant of a durable pipeline (incremental checkpoints keep the store that spilled {entries} live in)");
        return null!;
    }

    /// <summary>
    /// At a barrier with <paramref name="inMemory"/> entries over the budget: the store that holds the last
    /// capture, which entries the capture left clean may now leave memory for; null when it does not hold
    /// it yet (try at the next barrier). Throws when no store is kept, or when the store was replaced while
    /// <paramref name="spilled"/> entries lived in <paramref name="current"/>.
    /// </summary>
    public static LsmStore? StoreForBarrier(ISpillStore source, LsmStore? current, long spilled, long inMemory, long budget, string aggregation, string entries)
    {
        if (!source.HasStore)
            throw new InvalidOperationException($"aggregation '{aggregation}': {inMemory} {entries} exceed the state budget of {budget}, but participant '{source.Name}' keeps no LSM store; call EnableIncremental (a durable pipeline does)");
        var store = source.StoreHoldingLastCapture;
        if (store is not null && current is not null && !ReferenceEquals(store, current) && spilled > 0)
            throw new InvalidOperationException($"aggregation '{aggregation}': the LSM store of participant '{source.Name}' was replaced while {spilled} spilled {entries} lived in the old one");
        return store;
    }

    /// <summary>Writes the store key of <paramref name="key"/> in bucket [<paramref name="start"/>, <paramref name="end"/>) into <paramref name="destination"/>.</summary>
    public static void WriteKey(Span<byte> destination, ReadOnlySpan<byte> prefix, long start, long end, ReadOnlySpan<byte> key)
    {
        prefix.CopyTo(destination);
        IncrementalKeys.WriteBucketId(destination[prefix.Length..], start, end);
        key.CopyTo(destination[(prefix.Length + IncrementalKeys.BucketIdSize)..]);
    }

    /// <summary>
    /// The store key of <paramref name="key"/> in bucket [<paramref name="start"/>, <paramref name="end"/>),
    /// composed in <paramref name="buffer"/> (sized once for keys of <paramref name="keySize"/> bytes and
    /// reused: the operator's thread only); an empty key gives the bucket's prefix.
    /// </summary>
    public static ReadOnlySpan<byte> Key(ref byte[] buffer, ReadOnlySpan<byte> prefix, long start, long end, ReadOnlySpan<byte> key, int keySize)
    {
        var length = prefix.Length + IncrementalKeys.BucketIdSize + keySize;
        if (buffer.Length != length) buffer = new byte[length];
        WriteKey(buffer, prefix, start, end, key);
        return buffer.AsSpan(0, prefix.Length + IncrementalKeys.BucketIdSize + key.Length);
    }
}

namespace Kernel.Operators;

/// <summary>Runtime settings of a <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}"/> (an unwindowed aggregation).</summary>
/// <remarks>
/// A sink for the operator's changes (the rows of the keys each batch changed, once per key: how another
/// aggregation or a subscriber follows an unwindowed aggregation live) is given to the constructor beside
/// these settings, <see cref="KeyedAggregator{TEvent, TKey, TState, TRow, TSpec}.KeyedAggregator(KeyedAggregatorOptions, IRowSink{TRow})"/>,
/// since it is typed by the aggregation's row and these settings are not.
/// </remarks>
public sealed class KeyedAggregatorOptions
{
    /// <summary>Keys to hold before the table first grows. Default 1024.</summary>
    public int InitialCapacity { get; init; } = 1024;

    /// <summary>Told about barriers and end of input met in the ring; may be null.</summary>
    public IControlListener? Control { get; init; }

    /// <summary>
    /// The most keys to keep in memory; 0 (the default) for no budget. Past it, at a checkpoint barrier,
    /// every idle key — one not updated since the previous barrier, so that the last incremental
    /// checkpoint wrote it to the LSM store exactly as it is — is dropped from memory; an event of such
    /// a key, a lookup or a scan of the rows reads it back from the store (the key's first event after a
    /// spill pays one store read; keys in memory never touch the store). Needs incremental checkpoints:
    /// <see cref="Control"/> must be an <see cref="Kernel.Checkpoints.OperatorParticipant"/> (a durable
    /// pipeline's), and the spec must keep no sketches. See <c>docs/state-and-memory.md</c>.
    /// </summary>
    public long StateBudgetEntries { get; init; }
}

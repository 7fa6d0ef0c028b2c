namespace Kernel.Operators;

/// <summary>
/// The compiled form of one <c>[Aggregation]</c> declaration: what the source generator emits
/// (as a struct) and what the runtime's operators are generic over. Every member is static and
/// the operators constrain the spec to a struct, so the JIT specializes them per aggregation and
/// inlines filter, key and fold into one loop: no virtual call, no delegate, no boxing per event.
/// </summary>
/// <typeparam name="TEvent">The input: a <c>[StreamEvent]</c> (or another aggregation's row).</typeparam>
/// <typeparam name="TKey">The grouping key: the single <c>[Key]</c> member's type, or a generated struct for composite keys.</typeparam>
/// <typeparam name="TState">The unmanaged running state per key and window (sums, counts, extremes, first/last with their times).</typeparam>
/// <typeparam name="TRow">The declared aggregation type: one output row.</typeparam>
public interface IAggregationSpec<TEvent, TKey, TState, TRow>
    where TKey : unmanaged, IEquatable<TKey>
    where TState : unmanaged
{
    /// <summary>The aggregation's full type name: names its state in checkpoints and its rows in output.</summary>
    static abstract string Name { get; }

    /// <summary>
    /// A fingerprint of the key and state layouts (member names, types, order, aggregate kinds),
    /// computed at build time: restoring state written under another fingerprint is refused.
    /// </summary>
    static abstract ulong StateFingerprint { get; }

    /// <summary>The declared window, watermark, lateness and emit settings.</summary>
    static abstract WindowSpec Window { get; }

    /// <summary>The <c>[Where]</c> predicate; true for every event when none is declared.</summary>
    static abstract bool Filter(in TEvent e);

    /// <summary>The event's grouping key (the default key for an aggregation without <c>[Key]</c>).</summary>
    static abstract TKey KeyOf(in TEvent e);

    /// <summary>
    /// A 64-bit hash of a key whose high bits are well mixed: the state table takes a slot from the
    /// top bits (Fibonacci hashing), so for an integer key a single multiply by 2^64/φ is enough and
    /// measured fastest (Kernel.Bench quick <c>aggregate</c>).
    /// </summary>
    static abstract ulong HashKey(in TKey key);

    /// <summary>The event's time in Unix milliseconds (from its <c>[EventTime]</c> member; 0 when it has none).</summary>
    static abstract long EventTime(in TEvent e);

    /// <summary>Sets a fresh state to the identity of every aggregate (Min starts at MaxValue, and so on).</summary>
    static abstract void Init(out TState state);

    /// <summary>Folds one event into a state (First/Last compare the event's time).</summary>
    static abstract void Update(ref TState state, in TEvent e);

    /// <summary>Merges another state into this one, as if its events had been folded here (panes, sessions, partitions).</summary>
    static abstract void Merge(ref TState into, in TState other);

    /// <summary>Builds the output row of a key's state; window bounds are 0 for an aggregation without a window.</summary>
    static abstract void ToRow(in TKey key, in TState state, long windowStartMs, long windowEndMs, out TRow row);
}

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

    /// <summary>
    /// The leading bytes of <typeparamref name="TState"/> that <c>Update</c> reads or writes per event (its
    /// hot prefix; the generator orders the state hot first), or 0 when unknown. A direct-mode state table
    /// uses it to place each key's hot prefix on one 64-byte cache line when the whole state is wider than a
    /// line (<see cref="Kernel.State.IKeyHasher{TKey}.DirectHotBytes"/>).
    /// </summary>
    static virtual int StateHotBytes => 0;

    // Side state: the sketches of [DistinctCount], [Sample] and [TopK] members, kept beside the hot
    // table (see SideState). The defaults describe a spec without any, so hand-written specs need
    // nothing; operators test HasSideState, a constant the JIT folds, so for those specs every call
    // below and the branch around it disappear.

    /// <summary>True when the spec keeps sketches beside its state (generated <c>true</c> for sketch members).</summary>
    static virtual bool HasSideState => false;

    /// <summary>Creates the operator's side state (one per operator instance); null without sketches.</summary>
    static virtual SideState? CreateSideState() => null;

    /// <summary>Folds one event into the sketches of a state, renting them on first use (after <c>Update</c>).</summary>
    static virtual void UpdateSide(SideState side, ref TState state, in TEvent e)
    {
    }

    /// <summary>Takes one upstream row back out of the sketches of a state (upserts: <c>[TopK]</c> removes the row's key).</summary>
    static virtual void RetractSide(SideState side, ref TState state, in TEvent e)
    {
    }

    /// <summary>Fills the sketch members of a row (estimates, sample and leaderboard handles) after <c>ToRow</c>.</summary>
    static virtual void SideToRow(SideState side, in TState state, ref TRow row)
    {
    }

    /// <summary>Releases a state's sketches (when its key or window is freed) and zeroes its handles.</summary>
    static virtual void ReleaseSide(SideState side, ref TState state)
    {
    }

    /// <summary>Copies the sketch handles of one state into another (a state rebuilt in place keeps its sketches).</summary>
    static virtual void CopySideHandles(in TState from, ref TState to)
    {
    }
}

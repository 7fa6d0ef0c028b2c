namespace Kernel.State;

/// <summary>
/// Hashes the keys of a <see cref="StateTable{TKey, TState, THasher}"/>. A static abstract member on a
/// struct type argument: the JIT specializes the table per hasher and inlines the hash, so a lookup
/// pays no interface dispatch.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
public interface IKeyHasher<TKey>
{
    /// <summary>
    /// A 64-bit hash of <paramref name="key"/> whose HIGH bits depend on every bit of the key: the
    /// table takes a key's home slot from the top bits. A multiplicative hash
    /// (<c>(ulong)key * 0x9E3779B97F4A7C15</c>, Fibonacci hashing) is the recommended one for integer
    /// keys: one multiply, and dense keys spread over the slots almost without collision.
    /// </summary>
    static abstract ulong Hash(in TKey key);

    /// <summary>
    /// True to let a table whose key is <see cref="long"/> or <see cref="int"/> index its slots by the
    /// key itself while every key is a small non-negative integer (dense ids: 0, 1, 2, …): a hit is then
    /// one load, with no hash and no probe, like an array indexed by key. The table falls back to
    /// <see cref="Hash"/> when the keys turn out sparse or negative (see <see cref="StateTable{TKey, TState, THasher}"/>).
    /// False by default, so a hasher written to produce given collisions (tests) is always used.
    /// </summary>
    static virtual bool DirectIndex => false;

    /// <summary>
    /// The leading bytes of the table's state that a fold touches per event, or 0 (the default) when unknown.
    /// When it is at most 64 and the state is wider than 64 bytes (or <see cref="LinesSmallStates"/>, or the entry is
    /// exactly 32 or 64 bytes), a table in
    /// direct mode (<see cref="DirectIndex"/>) lays its entries 128 bytes apart (64 for an entry that fits a line,
    /// 32 for one that fits half) on the pinned heap, no state crossing a 64-byte cache line, so a fold touches
    /// one line per key, at up to 2× the memory of packed entries (see <see cref="StateTable{TKey, TState, THasher}"/>).
    /// </summary>
    static virtual int DirectHotBytes => 0;

    /// <summary>
    /// True when a state that fits one cache line whole (with <see cref="DirectHotBytes"/> declared) is lined too:
    /// direct entries 32 bytes apart (an entry of at most 32 bytes), 64 (at most 64) or 128, no state crossing a
    /// line, instead of packed, where a state may start anywhere in a line and some cross one. False (the
    /// default): only states wider than a line are lined, and small ones whose entry is exactly 32 or 64 bytes,
    /// which lined take no more memory than packed. The keyed aggregator's tables say true (its
    /// Sum-and-Count fold ran 1.3–1.5× faster lined on this machine); the windowed operator's pane tables say
    /// false (lining their other small slots showed no gain that paid for the memory).
    /// </summary>
    static virtual bool LinesSmallStates => false;
}

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
}

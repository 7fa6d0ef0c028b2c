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
    /// A well-mixed 64-bit hash of <paramref name="key"/>: the table takes its slot from the low
    /// bits and a 6-bit tag from the top bits, so both ends must depend on every bit of the key.
    /// </summary>
    static abstract ulong Hash(in TKey key);
}

namespace Kernel.Sketches;

/// <summary>One row of a <see cref="Leaderboard{TKey, TValue}"/>: a key and its current value.</summary>
/// <typeparam name="TKey">The ranked key (a product id).</typeparam>
/// <typeparam name="TValue">The value it is ranked by (revenue in cents).</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Value">Its value.</param>
public readonly record struct LeaderboardEntry<TKey, TValue>(TKey Key, TValue Value)
    where TKey : unmanaged
    where TValue : unmanaged;

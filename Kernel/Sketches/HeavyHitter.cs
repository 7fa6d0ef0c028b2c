namespace Kernel.Sketches;

/// <summary>
/// One entry of a <see cref="SpaceSaving{TKey}"/> summary with its error bounds:
/// <c>Count − Error ≤ true count ≤ Count</c>.
/// </summary>
/// <typeparam name="TKey">The counted key.</typeparam>
/// <param name="Key">The key.</param>
/// <param name="Count">An upper bound on the key's true count.</param>
/// <param name="Error">How much of <paramref name="Count"/> may belong to keys this counter evicted.</param>
/// <param name="Guaranteed">
/// True when <c>Count − Error</c> is at least the count any key outside the reported list can have,
/// so the key certainly belongs to the true top list of that length (ties either way).
/// </param>
public readonly record struct HeavyHitter<TKey>(TKey Key, long Count, long Error, bool Guaranteed)
    where TKey : unmanaged
{
    /// <summary>The guaranteed count: <c>Count − Error</c>, a lower bound on the true count.</summary>
    public long LowerBound => Count - Error;
}

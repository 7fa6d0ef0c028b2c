namespace Kernel.Sinks;

/// <summary>
/// Reads the (key, window) identity of a result row for <see cref="LsmResultsTable{TRow, TKey, TSelector}"/>.
/// Implement it as a struct: the table is generic over it, so the calls inline (no interface
/// dispatch per row).
/// </summary>
/// <typeparam name="TRow">The row type (an aggregation's declared type).</typeparam>
/// <typeparam name="TKey">The row's grouping key.</typeparam>
public interface IResultKeySelector<TRow, TKey>
    where TKey : unmanaged
{
    /// <summary>The row's key (its <c>[Key]</c> member).</summary>
    TKey KeyOf(in TRow row);

    /// <summary>The row's window start in Unix milliseconds (its <c>[WindowStart]</c> member; 0 without a window).</summary>
    long WindowStartOf(in TRow row);
}

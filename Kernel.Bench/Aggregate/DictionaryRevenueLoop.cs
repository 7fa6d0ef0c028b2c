using System.Runtime.InteropServices;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// The honest single-threaded reference: revenue by product written by hand with a
/// <see cref="Dictionary{TKey, TValue}"/> and <see cref="CollectionsMarshal.GetValueRefOrAddDefault"/>.
/// </summary>
public sealed class DictionaryRevenueLoop
{
    private readonly Dictionary<long, BenchRevenueState> _state = new(OrderData.Products);

    /// <summary>Keys held.</summary>
    public int Count => _state.Count;

    /// <summary>Folds one batch.</summary>
    public void Apply(ReadOnlySpan<BenchOrder> orders)
    {
        var state = _state;
        foreach (ref readonly var e in orders)
        {
            if (!e.IsPaid) continue;
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(state, e.ProductId, out var exists);
            if (!exists) RevenueFolding.Init(out s);
            RevenueFolding.Update(ref s, e);
        }
    }
}

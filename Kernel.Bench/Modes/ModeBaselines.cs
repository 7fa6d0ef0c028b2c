using System.Runtime.InteropServices;

namespace Kernel.Bench.Modes;

/// <summary>The general-purpose batch answers the batch case is measured against.</summary>
public static class ModeBaselines
{
    /// <summary>The hand-written loop: a Dictionary and <see cref="CollectionsMarshal.GetValueRefOrAddDefault"/>, fed in batches.</summary>
    public static Dictionary<long, (long Revenue, long Orders)> DictionaryLoop(ModeOrder[] orders)
    {
        var state = new Dictionary<long, (long Revenue, long Orders)>(ModeData.Products);
        for (var i = 0; i < orders.Length; i += ModeData.BatchSize)
            Fold(state, orders.AsSpan(i, Math.Min(ModeData.BatchSize, orders.Length - i)));
        return state;
    }

    private static void Fold(Dictionary<long, (long Revenue, long Orders)> state, ReadOnlySpan<ModeOrder> batch)
    {
        foreach (ref readonly var e in batch)
        {
            if (!e.IsPaid) continue;
            ref var s = ref CollectionsMarshal.GetValueRefOrAddDefault(state, e.ProductId, out _);
            s.Revenue += e.RevenueCents;
            s.Orders++;
        }
    }

    /// <summary>
    /// The read ceiling on one core: a loop that only sums one field of every order (each 40-byte
    /// order still comes in from memory). A fold cannot beat it; how far the loop is below it shows
    /// whether the loop is bound by memory bandwidth or by its own work per event.
    /// </summary>
    public static long ReadScan(ModeOrder[] orders)
    {
        long sum = 0;
        foreach (ref readonly var e in orders.AsSpan()) sum += e.PriceCents;
        return sum;
    }

    /// <summary>LINQ: <c>Where</c> then .NET 9's <c>AggregateBy</c>, materialized into a dictionary.</summary>
    public static Dictionary<long, (long Revenue, long Orders)> LinqAggregateBy(ModeOrder[] orders) =>
        orders.Where(o => o.IsPaid)
            .AggregateBy(o => o.ProductId, (Revenue: 0L, Orders: 0L), (acc, o) => (acc.Revenue + o.RevenueCents, acc.Orders + 1))
            .ToDictionary();
}

using System.Runtime.CompilerServices;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// The aggregate bodies, written the way the generator emits them. Shared by the stand-in specs and
/// the hand-written baselines, so both sides fold exactly the same work per event.
/// </summary>
public static class RevenueFolding
{
    /// <summary>
    /// Multiplicative (Fibonacci) hash: one multiply by 2^64/φ mixes every bit of the key into the high
    /// bits the state table indexes with, and spreads dense product ids almost without collision.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    /// <summary>Identity of every aggregate.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Init(out BenchRevenueState s)
    {
        s = default;
        s.Cheapest = long.MaxValue;
        s.Dearest = long.MinValue;
        s.FirstTime = long.MaxValue;
        s.LastTime = long.MinValue;
    }

    /// <summary>Folds one order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update(ref BenchRevenueState s, in BenchOrder e)
    {
        // Spelled out as the generator emits it ("s.X = s.X + v", not "s.X += v", which costs an lea per field).
        s.RevenueCents = s.RevenueCents + e.RevenueCents;
        s.Orders = s.Orders + 1;
        s.PriceSum = s.PriceSum + e.PriceCents;
        if (e.PriceCents < s.Cheapest) s.Cheapest = e.PriceCents;
        if (e.PriceCents > s.Dearest) s.Dearest = e.PriceCents;
        if (e.TimestampMs < s.FirstTime) { s.FirstTime = e.TimestampMs; s.FirstOrder = e.OrderId; }
        if (e.TimestampMs >= s.LastTime) { s.LastTime = e.TimestampMs; s.LastOrder = e.OrderId; }
    }

    /// <summary>Merges two states.</summary>
    public static void Merge(ref BenchRevenueState into, in BenchRevenueState o)
    {
        into.RevenueCents += o.RevenueCents;
        into.Orders += o.Orders;
        into.PriceSum += o.PriceSum;
        if (o.Cheapest < into.Cheapest) into.Cheapest = o.Cheapest;
        if (o.Dearest > into.Dearest) into.Dearest = o.Dearest;
        if (o.FirstTime < into.FirstTime) { into.FirstTime = o.FirstTime; into.FirstOrder = o.FirstOrder; }
        if (o.LastTime >= into.LastTime) { into.LastTime = o.LastTime; into.LastOrder = o.LastOrder; }
    }

    /// <summary>The row of a state.</summary>
    public static BenchRevenueRow ToRow(long key, in BenchRevenueState s, long start) =>
        new(key, start, s.RevenueCents, s.Orders, s.Orders == 0 ? 0 : (double)s.PriceSum / s.Orders);
}

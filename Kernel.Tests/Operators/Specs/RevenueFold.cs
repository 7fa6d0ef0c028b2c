using System.Runtime.CompilerServices;

namespace Kernel.Tests.Operators.Specs;

/// <summary>The aggregate bodies shared by the hand-written specs (Sum/Count/Min/Max/Avg/First/Last).</summary>
public static class RevenueFold
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(long key) => (ulong)key * 0x9E3779B97F4A7C15UL;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Init(out RevenueState s)
    {
        s = default;
        s.Cheapest = long.MaxValue;
        s.Dearest = long.MinValue;
        s.FirstTime = long.MaxValue;
        s.LastTime = long.MinValue;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Update(ref RevenueState s, in Order e)
    {
        s.RevenueCents += e.RevenueCents;
        s.Orders++;
        s.PriceSum += e.PriceCents;
        if (e.PriceCents < s.Cheapest) s.Cheapest = e.PriceCents;
        if (e.PriceCents > s.Dearest) s.Dearest = e.PriceCents;
        if (e.TimestampMs < s.FirstTime) { s.FirstTime = e.TimestampMs; s.FirstOrder = e.OrderId; }
        if (e.TimestampMs >= s.LastTime) { s.LastTime = e.TimestampMs; s.LastOrder = e.OrderId; }
    }

    public static void Merge(ref RevenueState into, in RevenueState o)
    {
        into.RevenueCents += o.RevenueCents;
        into.Orders += o.Orders;
        into.PriceSum += o.PriceSum;
        if (o.Cheapest < into.Cheapest) into.Cheapest = o.Cheapest;
        if (o.Dearest > into.Dearest) into.Dearest = o.Dearest;
        if (o.FirstTime < into.FirstTime) { into.FirstTime = o.FirstTime; into.FirstOrder = o.FirstOrder; }
        if (o.LastTime >= into.LastTime) { into.LastTime = o.LastTime; into.LastOrder = o.LastOrder; }
    }

    public static void ToRow(long key, in RevenueState s, long start, long end, out RevenueRow row) =>
        row = new RevenueRow(key, start, end, s.RevenueCents, s.Orders, s.Cheapest, s.Dearest,
            s.Orders == 0 ? 0 : (double)s.PriceSum / s.Orders, s.FirstOrder, s.LastOrder);
}

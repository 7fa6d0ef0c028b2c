using System.Text;
using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Generators;

/// <summary>
/// The generated specs of the declarations in <c>Declarations/</c> (compiled by the generator
/// running on this project), checked against hand-computed results.
/// </summary>
public sealed class SpecBehaviorTests
{
    private static Order O(long id, long product, long price, int quantity, long time, long customer = 1)
        => new() { OrderId = id, ProductId = product, CustomerId = customer, PriceCents = price, Quantity = quantity, TimestampMs = time };

    // Three paid orders of product 7: revenue 500 + 300 + 400; order 2 is the earliest in event
    // time though it arrives second; orders 1 and 3 share the latest time, 3 arrives last.
    private static readonly Order[] s_orders = { O(1, 7, 250, 2, 1000), O(2, 7, 100, 3, 500), O(3, 7, 400, 1, 1000) };

    private static RevenueByProduct.State Fold(ReadOnlySpan<Order> orders)
    {
        RevenueByProduct.Spec.Init(out var state);
        foreach (ref readonly var o in orders)
        {
            if (RevenueByProduct.Spec.Filter(in o)) RevenueByProduct.Spec.Update(ref state, in o);
        }
        return state;
    }

    [Fact]
    public void RevenueByProduct_UpdateThenToRow_MatchesHandComputedRow()
    {
        var state = Fold(s_orders);
        RevenueByProduct.Spec.ToRow(7, in state, 0, 0, out var row);
        Assert.Equal(7, row.ProductId);
        Assert.Equal(1200, row.RevenueCents);
        Assert.Equal(3, row.Orders);
        Assert.Equal(100, row.Cheapest);
        Assert.Equal(400, row.Dearest);
        Assert.Equal(250.0, row.AvgPrice);
        Assert.Equal(2, row.FirstOrder);
        Assert.Equal(3, row.LastOrder);
    }

    [Fact]
    public void RevenueByProduct_Where_DropsUnpaidOrders()
    {
        Assert.False(RevenueByProduct.Spec.Filter(O(4, 7, 0, 5, 10)));
        Assert.True(RevenueByProduct.Spec.Filter(O(5, 7, 1, 1, 10)));
        var state = Fold(new[] { s_orders[0], O(4, 7, 0, 5, 2000) });
        Assert.Equal(1, state.Orders);
        Assert.Equal(1, state.LastOrder);
    }

    [Fact]
    public void RevenueByProduct_MergeOfSplits_EqualsOneFold()
    {
        var whole = Fold(s_orders);
        var first = Fold(s_orders.AsSpan(0, 1));
        var rest = Fold(s_orders.AsSpan(1));
        RevenueByProduct.Spec.Merge(ref first, in rest);
        Assert.Equal(whole, first);

        // The empty state is the identity on both sides.
        RevenueByProduct.Spec.Init(out var empty);
        var copy = whole;
        RevenueByProduct.Spec.Merge(ref copy, in empty);
        Assert.Equal(whole, copy);
        RevenueByProduct.Spec.Merge(ref empty, in whole);
        Assert.Equal(whole, empty);
    }

    [Fact]
    public void RevenueByProduct_KeyAndTime_ComeFromTheEvent()
    {
        Assert.Equal(7, RevenueByProduct.Spec.KeyOf(s_orders[0]));
        Assert.Equal(500, RevenueByProduct.Spec.EventTime(s_orders[1]));
        Assert.Equal(RevenueByProduct.Spec.HashKey(7), RevenueByProduct.Spec.HashKey(7));
        Assert.NotEqual(RevenueByProduct.Spec.HashKey(7), RevenueByProduct.Spec.HashKey(8));
        Assert.Equal("Kernel.Tests.Generators.Declarations.RevenueByProduct", RevenueByProduct.Spec.Name);
        Assert.Equal(WindowSpec.Unwindowed, RevenueByProduct.Spec.Window);
    }

    [Fact]
    public void DailyRevenue_WindowSpec_CarriesTheDeclaredDurations()
    {
        var expected = new WindowSpec
        {
            Kind = WindowKind.Tumbling,
            SizeMs = 86_400_000,
            SlideMs = 86_400_000,
            OffsetMs = 0,
            MaxOutOfOrdernessMs = 600_000,
            IdleTimeoutMs = 30_000,
            AllowedLatenessMs = 3_600_000,
            Emit = EmitMode.Final,
        };
        Assert.Equal(expected, DailyRevenue.Spec.Window);
    }

    [Fact]
    public void DailyRevenue_ToRow_FillsWindowBounds()
    {
        DailyRevenue.Spec.Init(out var state);
        DailyRevenue.Spec.Update(ref state, s_orders[0]);
        DailyRevenue.Spec.ToRow(7, in state, 86_400_000, 172_800_000, out var row);
        Assert.Equal(new DailyRevenue { ProductId = 7, DayStartMs = 86_400_000, DayEndMs = 172_800_000, RevenueCents = 500, Orders = 1 }, row);
    }

    [Fact]
    public void CustomerProductRevenue_CompositeKey_EqualityAndHash()
    {
        var k = CustomerProductRevenue.Spec.KeyOf(O(1, product: 2, price: 10, quantity: 4, time: 0, customer: 1));
        Assert.Equal(new CustomerProductRevenue.Key(1, 2), k);
        Assert.NotEqual(new CustomerProductRevenue.Key(2, 1), k);
        Assert.True(k == new CustomerProductRevenue.Key(1, 2));
        Assert.NotEqual(CustomerProductRevenue.Spec.HashKey(new CustomerProductRevenue.Key(1, 2)), CustomerProductRevenue.Spec.HashKey(new CustomerProductRevenue.Key(2, 1)));
        Assert.Equal((int)CustomerProductRevenue.Spec.HashKey(k), k.GetHashCode());

        CustomerProductRevenue.Spec.Init(out var state);
        CustomerProductRevenue.Spec.Update(ref state, O(1, 2, 10, 4, 0, 1));
        CustomerProductRevenue.Spec.Update(ref state, O(2, 2, 10, 9, 0, 1));
        CustomerProductRevenue.Spec.ToRow(k, in state, 0, 3_600_000, out var row);
        Assert.Equal(new CustomerProductRevenue { Customer = 1, Product = 2, Units = 13, LargestQuantity = 9 }, row);
        Assert.Equal(new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 3_600_000, SlideMs = 300_000, Emit = EmitMode.Periodic, EmitIntervalMs = 5000 }, CustomerProductRevenue.Spec.Window);
    }

    [Fact]
    public void GlobalTotals_NoKey_IsOneRowWithFloatAverage()
    {
        Assert.Equal((byte)0, GlobalTotals.Spec.KeyOf(O(1, 5, 1, 1, 0)));
        Assert.Equal((byte)0, GlobalTotals.Spec.KeyOf(O(2, 6, 1, 2, 0)));
        GlobalTotals.Spec.Init(out var state);
        GlobalTotals.Spec.Update(ref state, O(1, 5, 1, 1, 0));
        GlobalTotals.Spec.Update(ref state, O(2, 6, 1, 2, 0));
        GlobalTotals.Spec.ToRow(0, in state, 0, 0, out var row);
        Assert.Equal(new GlobalTotals { Orders = 2, Units = 3, AvgQuantity = 1.5f }, row);
        Assert.Equal(new WindowSpec { Kind = WindowKind.Session, GapMs = 1_800_000, Emit = EmitMode.EveryUpdate }, GlobalTotals.Spec.Window);
    }

    [Fact]
    public void ProductLeaderboard_ReadsAnotherAggregationsRows()
    {
        ProductLeaderboard.Spec.Init(out var state);
        var rows = new[]
        {
            new RevenueByProduct { ProductId = 1, Cheapest = 100, RevenueCents = 1200 },
            new RevenueByProduct { ProductId = 2, Cheapest = 100, RevenueCents = 900 },
        };
        foreach (var r in rows)
        {
            Assert.Equal(100, ProductLeaderboard.Spec.KeyOf(r));
            ProductLeaderboard.Spec.Update(ref state, r);
        }
        ProductLeaderboard.Spec.ToRow(100, in state, 0, 0, out var row);
        Assert.Equal(new ProductLeaderboard { PriceBand = 100, BestRevenueCents = 1200, Products = 2 }, row);
    }

    [Fact]
    public void RegionTemperatures_EnumKeyAndDateTimeOffsetTime()
    {
        // 2028-02-29T23:59:59.999Z is 1,835,481,599,999 ms after the epoch (21,243 days + 86,399,999 ms).
        var t = new DateTimeOffset(2028, 2, 29, 23, 59, 59, 999, TimeSpan.Zero);
        var sameInstantElsewhere = new DateTimeOffset(2028, 3, 1, 5, 29, 59, 999, TimeSpan.FromMinutes(330));
        var readings = new[]
        {
            new Reading { Region = Region.North, SensorId = 1, Temperature = 20.5, Price = 1.10m, Valid = true, At = t },
            new Reading { Region = Region.North, SensorId = 2, Temperature = -3.25, Price = 2.20m, Valid = true, At = t.AddSeconds(-1) },
            new Reading { Region = Region.North, SensorId = 3, Temperature = 99, Price = 9m, Valid = false, At = t.AddSeconds(1) },
        };
        Assert.Equal(1_835_481_599_999, RegionTemperatures.Spec.EventTime(readings[0]));
        Assert.Equal(1_835_481_599_999, RegionTemperatures.Spec.EventTime(readings[0] with { At = sameInstantElsewhere }));
        RegionTemperatures.Spec.Init(out var state);
        foreach (var r in readings)
        {
            if (RegionTemperatures.Spec.Filter(r)) RegionTemperatures.Spec.Update(ref state, r);
        }
        var key = RegionTemperatures.Spec.KeyOf(readings[0]);
        Assert.Equal(new RegionTemperatures.Key(Region.North), key);
        RegionTemperatures.Spec.ToRow(key, in state, 0, 3_600_000, out var row);
        Assert.Equal(Region.North, row.Region);
        Assert.Equal(-3.25, row.Coldest);
        Assert.Equal(20.5, row.Hottest);
        Assert.Equal(1, row.LastSensor);
        Assert.Equal(-3.25, row.FirstTemperature);
        Assert.Equal(3.30m, row.Spend);
        Assert.Equal(1.65m, row.AvgPrice);
    }

    [Fact]
    public void Fingerprint_IsFnv1aOfTheCanonicalLayout_AndMatchesTheSchema()
    {
        // Recomputed here from the documented canonical text, independently of the generator.
        const string daily = "kernel-state/1\nkey ProductId long ProductId\nstate RevenueCents long Sum RevenueCents\nstate Orders long Count \n";
        Assert.Equal(Fnv1a(daily), DailyRevenue.Spec.StateFingerprint);
        Assert.Equal(DailyRevenue.Spec.StateFingerprint, DailyRevenue.Spec.Schema.Fingerprint);
        Assert.NotEqual(RevenueByProduct.Spec.StateFingerprint, DailyRevenue.Spec.StateFingerprint);
    }

    [Fact]
    public void Schema_ListsKeyAndStateFieldsInOrder()
    {
        var schema = RevenueByProduct.Spec.Schema;
        Assert.Equal("Kernel.Tests.Generators.Declarations.RevenueByProduct", schema.Aggregation);
        Assert.Equal(new[] { new StateField("ProductId", "long", AggregateKind.Key, "ProductId") }, schema.KeyFields);
        Assert.Equal(
            // Hot first: [First]'s value, which Update never reads, last (so a direct table can line the rest).
            new[] { "RevenueCents", "Orders", "Cheapest", "Dearest", "AvgPrice_Sum", "FirstOrder_Time", "LastOrder", "LastOrder_Time", "FirstOrder" },
            schema.StateFields.Select(f => f.Name));
        Assert.Equal(
            new[] { AggregateKind.Sum, AggregateKind.Count, AggregateKind.Min, AggregateKind.Max, AggregateKind.AvgSum, AggregateKind.FirstTime, AggregateKind.Last, AggregateKind.LastTime, AggregateKind.First },
            schema.StateFields.Select(f => f.Kind));
        // The average over a long member sums into a long and divides by the shared [Count]: nine 8-byte fields.
        Assert.Equal("long", schema.StateFields.Single(f => f.Name == "AvgPrice_Sum").TypeName);
        Assert.Equal(72, System.Runtime.CompilerServices.Unsafe.SizeOf<RevenueByProduct.State>());
        Assert.Empty(GlobalTotals.Spec.Schema.KeyFields);
    }

    [Fact]
    public void Avg_WithoutCount_KeepsItsOwnCount_AndSumsIntegersExactly()
    {
        Assert.Equal(
            new[] { ("AvgPrice_Sum", "long", AggregateKind.AvgSum), ("AvgPrice_Count", "long", AggregateKind.AvgCount) },
            PriceAverage.Spec.Schema.StateFields.Select(f => (f.Name, f.TypeName, f.Kind)));
        // 2^53 + 1 + 1: a double sum rounds each +1 away (2^53 + 1 is not a double); the long sum keeps
        // 2^53 + 2, and the mean is that over 3, computed here in decimal then rounded once to double.
        PriceAverage.Spec.Init(out var state);
        foreach (var price in new[] { 1L << 53, 1, 1 }) PriceAverage.Spec.Update(ref state, O(1, 7, price, 1, 0));
        PriceAverage.Spec.ToRow(7, in state, 0, 0, out var row);
        Assert.Equal((double)(9_007_199_254_740_994m / 3m), row.AvgPrice);
        Assert.NotEqual((double)(1L << 53) / 3, row.AvgPrice);
        PriceAverage.Spec.Init(out var empty);
        PriceAverage.Spec.ToRow(7, in empty, 0, 0, out var none);
        Assert.Equal(0d, none.AvgPrice);
    }

    [Fact]
    public void Avg_SharingTheCount_MergesAndRetracts()
    {
        // Merge: the shared count is merged once, by [Count]; the mean is over both halves.
        var left = Fold(s_orders.AsSpan(0, 2));
        var right = Fold(s_orders.AsSpan(2));
        RevenueByProduct.Spec.Merge(ref left, in right);
        RevenueByProduct.Spec.ToRow(7, in left, 0, 0, out var merged);
        Assert.Equal(3, merged.Orders);
        Assert.Equal((250 + 100 + 400) / 3.0, merged.AvgPrice);

        // Retract (upserts): ProductTotals averages RevenueByProduct.Orders over products, sharing its [Count].
        ProductTotals.Spec.Init(out var totals);
        var a = new RevenueByProduct { ProductId = 1, Cheapest = 100, Orders = 4, RevenueCents = 10 };
        var b = new RevenueByProduct { ProductId = 2, Cheapest = 100, Orders = 9, RevenueCents = 20 };
        ProductTotals.Spec.Update(ref totals, a);
        ProductTotals.Spec.Update(ref totals, b);
        ProductTotals.Spec.Retract(ref totals, a);
        ProductTotals.Spec.Update(ref totals, a with { Orders = 6 });
        ProductTotals.Spec.ToRow(ProductTotals.Spec.KeyOf(a), in totals, 0, 0, out var row);
        Assert.Equal(2, row.Products);
        Assert.Equal(7.5, row.AvgOrders);
    }

    [Fact]
    public void ThroughTheConstrainedInterface_FoldAllocatesNothing()
    {
        var orders = new Order[4096];
        for (var i = 0; i < orders.Length; i++) orders[i] = O(i, i % 3, 100 + i, 1 + (i % 4), i);
        var expected = 0L;
        foreach (var o in orders) expected += o.PriceCents * o.Quantity;
        FoldAll<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(orders, out _); // JIT the path first
        RevenueByProduct row = default;
        var allocated = Allocations.SteadyState(() =>
            FoldAll<Order, long, RevenueByProduct.State, RevenueByProduct, RevenueByProduct.Spec>(orders, out row));
        Assert.Equal(expected, row.RevenueCents);
        Assert.Equal(0, allocated);
    }

    // A stand-in for the runtime's operator: struct-constrained, three fixed key slots.
    private static void FoldAll<TEvent, TKey, TState, TRow, TSpec>(ReadOnlySpan<TEvent> events, out TRow row)
        where TKey : unmanaged, IEquatable<TKey>
        where TState : unmanaged
        where TSpec : struct, IAggregationSpec<TEvent, TKey, TState, TRow>
    {
        Span<TState> states = stackalloc TState[3];
        for (var i = 0; i < states.Length; i++) TSpec.Init(out states[i]);
        foreach (ref readonly var e in events)
        {
            if (!TSpec.Filter(in e)) continue;
            var slot = (int)(TSpec.HashKey(TSpec.KeyOf(in e)) % 3);
            TSpec.Update(ref states[slot], in e);
        }
        for (var i = 1; i < states.Length; i++) TSpec.Merge(ref states[0], in states[i]);
        TSpec.ToRow(default, in states[0], 0, 0, out row);
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}

namespace Kernel.Bench.Aggregate;

/// <summary>The running state of revenue by product: Sum, Count, Min, Max, Avg (as sum), First, Last.</summary>
public struct BenchRevenueState
{
    /// <summary>Sum of revenue.</summary>
    public long RevenueCents;

    /// <summary>Count.</summary>
    public long Orders;

    /// <summary>Min price.</summary>
    public long Cheapest;

    /// <summary>Max price.</summary>
    public long Dearest;

    /// <summary>Sum of prices (Avg = PriceSum / Orders).</summary>
    public long PriceSum;

    /// <summary>Time of the first order.</summary>
    public long FirstTime;

    /// <summary>First order id (by event time).</summary>
    public long FirstOrder;

    /// <summary>Time of the last order.</summary>
    public long LastTime;

    /// <summary>Last order id (by event time).</summary>
    public long LastOrder;
}

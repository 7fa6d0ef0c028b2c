namespace Kernel.Tests.Operators.Specs;

/// <summary>The running state of <see cref="RevenueSpec"/>: what the generator would emit for it.</summary>
public struct RevenueState
{
    public long RevenueCents;
    public long Orders;
    public long Cheapest;
    public long Dearest;
    public long PriceSum;
    public long FirstTime;
    public long FirstOrder;
    public long LastTime;
    public long LastOrder;
}

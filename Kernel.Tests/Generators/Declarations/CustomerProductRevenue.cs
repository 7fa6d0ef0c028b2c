namespace Kernel.Tests.Generators.Declarations;

/// <summary>A composite key (customer, product) over a sliding window; the key names differ from the input's.</summary>
[Aggregation(typeof(Order))]
[SlidingWindow("1h", Slide = "5m")]
[Emit(EmitMode.Periodic, Interval = "5s")]
public partial struct CustomerProductRevenue
{
    [Key(nameof(Order.CustomerId))] public long Customer;
    [Key(nameof(Order.ProductId))] public long Product;
    [Sum(nameof(Order.Quantity))] public long Units;
    [Max(nameof(Order.Quantity))] public int LargestQuantity;
}

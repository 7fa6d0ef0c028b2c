using R3;

namespace Kernel.Bench.Aggregate;

/// <summary>The <c>r3</c> baseline: R3's Subject with Where, folding into a Dictionary (its own file: R3 and Rx.NET share extension names).</summary>
internal static class R3Revenue
{
    public static void Run(BenchOrder[] orders)
    {
        var state = new Dictionary<long, BenchRevenueState>(OrderData.Products);
        using var subject = new Subject<BenchOrder>();
        using var subscription = subject.Where(o => o.IsPaid).Subscribe(o => EndToEndQuickSuite.Fold(state, o));
        foreach (var o in orders) subject.OnNext(o);
        subject.OnCompleted(Result.Success);
    }
}

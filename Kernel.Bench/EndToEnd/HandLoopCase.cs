namespace Kernel.Bench.EndToEnd;

/// <summary>Baseline <c>hand-loop</c>: the single-threaded <see cref="HandLoop"/> over the array, no queue in between.</summary>
public sealed class HandLoopCase : HeadlineCase
{
    private HandLoop _loop = new();

    /// <inheritdoc/>
    public override string Name => "hand-loop";

    /// <inheritdoc/>
    public override HeadlineTotals Totals => _loop.Totals;

    /// <inheritdoc/>
    public override void Prepare() => _loop = new HandLoop();

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var loop = _loop;
        foreach (ref readonly var o in orders.AsSpan()) loop.Add(o);
        loop.Finish();
    }
}

using R3;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Baseline <c>r3</c>: R3's <see cref="Subject{T}"/> with the <see cref="HandLoop"/> subscribed
/// (synchronous, like <c>rx</c>; its own file because R3 and Rx.NET share extension names).
/// </summary>
public sealed class R3Case : HeadlineCase
{
    private HandLoop _loop = new();

    /// <inheritdoc/>
    public override string Name => "r3";

    /// <inheritdoc/>
    public override HeadlineTotals Totals => _loop.Totals;

    /// <inheritdoc/>
    public override void Prepare() => _loop = new HandLoop();

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var loop = _loop;
        using var subject = new Subject<HeadlineOrder>();
        using var subscription = subject.Subscribe(loop, static (o, l) => l.Add(o), static (_, l) => l.Finish());
        foreach (var o in orders) subject.OnNext(o);
        subject.OnCompleted(Result.Success);
    }
}

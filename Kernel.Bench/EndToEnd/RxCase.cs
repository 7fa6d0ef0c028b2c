using System.Reactive.Subjects;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Baseline <c>rx</c>: System.Reactive — a <see cref="Subject{T}"/> the producer pushes every order
/// into, subscribed by the <see cref="HandLoop"/> (synchronous, on the producer's thread; Rx has no
/// keyed windowed fold that emits one final row per key and day, so the fold is the loop's).
/// </summary>
public sealed class RxCase : HeadlineCase
{
    private HandLoop _loop = new();

    /// <inheritdoc/>
    public override string Name => "rx";

    /// <inheritdoc/>
    public override HeadlineTotals Totals => _loop.Totals;

    /// <inheritdoc/>
    public override void Prepare() => _loop = new HandLoop();

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var loop = _loop;
        using var subject = new Subject<HeadlineOrder>();
        using var subscription = subject.Subscribe(new LoopObserver(loop));
        foreach (var o in orders) subject.OnNext(o);
        subject.OnCompleted();
    }

    private sealed class LoopObserver(HandLoop loop) : IObserver<HeadlineOrder>
    {
        public void OnNext(HeadlineOrder value) => loop.Add(value);

        public void OnCompleted() => loop.Finish();

        public void OnError(Exception error) => throw new InvalidOperationException("rx baseline failed", error);
    }
}

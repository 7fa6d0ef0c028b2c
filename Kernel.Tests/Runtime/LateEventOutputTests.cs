using System.Diagnostics.Metrics;
using Kernel.Operators;
using Kernel.Queries;
using Kernel.Runtime;
using D = Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Runtime;

/// <summary>
/// Issue 4's late-events output: a ready-made list and callback sink, and the <c>kernel.window.late_events</c>
/// counter per windowed handler. The inputs are small, and which orders are late is derived by hand in each test.
/// </summary>
public sealed class LateEventOutputTests
{
    private const long Day = 86_400_000;

    private static D.Order Order(long id, long price, long timeMs) =>
        new() { OrderId = id, ProductId = 7, PriceCents = price, Quantity = 1, TimestampMs = timeMs };

    // No lateness, no out-of-orderness: after order 2 (day 1, t = Day + 5) the watermark is Day + 4, so day 0
    // (end − 1 = Day − 1) has fired and orders 3 (t = 2,000) and 5 (t = 10) are late; order 4 (day 1) is not.
    private static readonly D.Order[] Orders = [Order(1, 100, 1_000), Order(2, 50, Day + 5), Order(3, 70, 2_000), Order(4, 30, Day + 9), Order(5, 20, 10)];

    private static readonly WindowOptions NoSlack = new() { AllowedLatenessMs = 0, MaxOutOfOrdernessMs = 0 };

    [Fact]
    public void LateEventList_KeepsEachLateEventWithItsTimeAndWatermark_AndPassesThemOn()
    {
        var inner = new LateEventList<D.Order>();
        var late = new LateEventList<D.Order>(inner);
        var op = D.DailyRevenue.CreateOperator(new FinalRows<D.DailyRevenue>(), late, NoSlack);
        op.Apply(Orders.AsSpan(0, 3));
        var first = late.Snapshot();
        op.Apply(Orders.AsSpan(3));
        op.EndOfInput();

        Assert.Equal(2, late.Count);
        Assert.Equal([(3L, 2_000L, Day + 4), (5L, 10L, Day + 8)], late.Snapshot().ToArray().Select(l => (l.Event.OrderId, l.EventTimeMs, l.Watermark)));
        Assert.Equal([3L], first.ToArray().Select(l => l.Event.OrderId));   // a snapshot is a prefix, unchanged by later ones
        Assert.Equal([3L, 5L], inner.Snapshot().ToArray().Select(l => l.Event.OrderId));
        Assert.Equal(2, op.LateEvents);
    }

    [Fact]
    public void LateEventCallback_CallsTheDelegatePerLateEvent()
    {
        var got = new List<(long Id, long Time, long Watermark)>();
        var op = D.DailyRevenue.CreateOperator(new FinalRows<D.DailyRevenue>(),
            new LateEventCallback<D.Order>((in D.Order e, long t, long w) => got.Add((e.OrderId, t, w))), NoSlack);
        op.Apply(Orders);
        Assert.Equal([(3L, 2_000L, Day + 4), (5L, 10L, Day + 8)], got);
        Assert.Throws<ArgumentNullException>(() => new LateEventCallback<D.Order>(null!));
    }

    [Fact]
    public async Task Kernel_ReportsLateEventsPerWindowedHandler()
    {
        var name = $"late-{Guid.NewGuid():N}";
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "Kernel" && instrument.Name == "kernel.window.late_events") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? kernel = null, handler = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "kernel") kernel = tag.Value as string;
                if (tag.Key == "handler") handler = tag.Value as string;
            }
            if (kernel == name) lock (values) values[handler!] = value;
        });
        listener.Start();

        await using var kernel = new StreamKernel<D.Order>(new StreamKernelOptions { Name = name, RingSize = 64 });
        kernel.AddHandler("strict", D.DailyRevenue.CreateOperator(new FinalRows<D.DailyRevenue>(), null, NoSlack));
        // The declaration's own 10 m bound and 1 h lateness: none of the five is late there.
        kernel.AddHandler("declared", D.DailyRevenue.CreateOperator(new FinalRows<D.DailyRevenue>()));
        // Behind a queryable view (as the revenue sample registers its operator): reported as the operator would be.
        kernel.AddHandler("viewed", new WindowedStateView<D.Order, long, D.DailyRevenue.State, D.DailyRevenue, D.DailyRevenue.Spec>(
            D.DailyRevenue.CreateOperator(new FinalRows<D.DailyRevenue>(), null, NoSlack)));
        kernel.AddHandler("keyed", D.RevenueByProduct.CreateOperator());   // not windowed: no late count
        kernel.Start();
        kernel.Publish(Orders);
        await kernel.CompleteAsync().WaitAsync(RuntimeTestSupport.Timeout);

        listener.RecordObservableInstruments();
        Assert.Equal(new Dictionary<string, long> { ["strict"] = 2, ["declared"] = 0, ["viewed"] = 2 }, values);
    }
}

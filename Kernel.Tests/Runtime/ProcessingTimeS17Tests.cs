using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Runtime;

/// <summary>
/// Processing time acts in a running kernel while no entry arrives (<see cref="IIdleHandler"/>): periodic
/// emission, periodic watermarks and idle sources. Each test waits (on signals) until the operator has
/// handled every published entry, then moves a <see cref="ManualClock"/> and publishes nothing more: a row
/// can then come only from the processor's idle call.
/// </summary>
public sealed class ProcessingTimeS17Tests
{
    // Short, so the idle calls come quickly; correctness does not depend on it (the clock is manual).
    private static StreamKernel<Order> Kernel() => new(new StreamKernelOptions { IdleInterval = TimeSpan.FromMilliseconds(1) });

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Tumbling(
        SignalSink sink, IClock clock, EmitMode emit = EmitMode.Final, long interval = 0, int sources = 1, long idle = 0,
        WatermarkAdvance advance = WatermarkAdvance.PerRecord) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            MaxOutOfOrdernessMs = 0, Emit = emit, EmitIntervalMs = interval, Clock = clock, Sources = sources,
            IdleTimeoutMs = idle, WatermarkAdvance = advance, WatermarkIntervalMs = 1_000,
        });

    [Fact]
    public async Task Periodic_EmitsWhenTheClockMoves_WithNoEventArriving()
    {
        var clock = new ManualClock();
        var sink = new SignalSink();
        var probe = new Probe(Tumbling(sink, clock, EmitMode.Periodic, interval: 5_000));
        await using var kernel = Kernel();
        kernel.AddHandler("windows", probe);
        kernel.Start();
        kernel.Publish([Order.Of(1, 1), Order.Of(1, 2), Order.Of(2, 3)]);   // W = 2: [0,10) stays open
        await probe.WhenHandled(3).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Empty(sink.Lines());                 // the interval has not passed

        clock.Advance(5_000);
        await sink.WhenRows(2).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(new[] { "1@0-10:2/200 r0", "2@0-10:1/100 r0" }, sink.Lines().Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(3, probe.Handled);             // nothing else arrived: the idle call emitted them
        Assert.True(probe.Idles > 0);

        await kernel.CompleteAsync();
        Assert.Equal(new[] { "1@0-10:2/200 r1F", "2@0-10:1/100 r1F" }, sink.Lines()[2..].Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task Periodic_BehindAQueryView_EmitsWhenTheClockMoves_WithNoEventArriving()
    {
        var clock = new ManualClock();
        var sink = new SignalSink();
        var view = new Kernel.Queries.WindowedStateView<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(
            Tumbling(sink, clock, EmitMode.Periodic, interval: 5_000));
        await using var kernel = Kernel();
        kernel.AddHandler("windows", view);
        kernel.Start();
        kernel.Publish([Order.Of(1, 1), Order.Of(1, 2), Order.Of(2, 3)]);
        Assert.True(SpinWait.SpinUntil(() => view.Gate.Sequence >= 3, RuntimeTestSupport.Timeout), "the view never took the 3 events");
        Assert.Empty(sink.Lines());

        clock.Advance(5_000);
        await sink.WhenRows(2).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(new[] { "1@0-10:2/200 r0", "2@0-10:1/100 r0" }, sink.Lines().Order(StringComparer.Ordinal).ToArray());
        await kernel.CompleteAsync();
    }

    [Fact]
    public async Task PeriodicWatermark_FiresAWindow_WithNoNewEvents()
    {
        var clock = new ManualClock();
        var sink = new SignalSink();
        var op = Tumbling(sink, clock, advance: WatermarkAdvance.Periodic);
        var probe = new Probe(op);
        await using var kernel = Kernel();
        kernel.AddHandler("windows", probe);
        kernel.Start();
        kernel.Publish([Order.Of(1, 1), Order.Of(1, 15)]);   // per record W would be 14; periodic: not before 1 s
        await probe.WhenHandled(2).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Empty(sink.Lines());

        clock.Advance(1_000);                        // the watermark interval: W = 15 − 0 − 1 = 14 fires [0,10)
        await sink.WhenRows(1).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
        Assert.Equal(2, probe.Handled);

        await kernel.CompleteAsync();
        Assert.Equal(14, sink.WatermarkOfRow(0));
        Assert.Equal(new[] { "1@0-10:1/100 r0F", "1@10-20:1/100 r0F" }, sink.Lines());
    }

    [Fact]
    public async Task IdleSource_StopsHoldingBackTheWatermark_WithNoEventsArriving()
    {
        var clock = new ManualClock();
        var sink = new SignalSink();
        var probe = new Probe(Tumbling(sink, clock, sources: 2, idle: 30_000));
        await using var kernel = Kernel();
        kernel.AddHandler("windows", probe);
        kernel.Start();
        kernel.Publish(Order.Of(2, 3), 1);                    // at 0 s: W1 = 2
        await probe.WhenHandled(1).WaitAsync(RuntimeTestSupport.Timeout);
        clock.Advance(20_000);
        kernel.Publish([Order.Of(1, 5), Order.Of(1, 25)], 0); // at 20 s: W0 = 24, W = min = 2
        await probe.WhenHandled(3).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Empty(sink.Lines());

        // At 30 s source 1 has been silent for its 30 s timeout (source 0 only 10 s): W = W0 = 24 fires [0,10).
        clock.Advance(10_000);
        await sink.WhenRows(2).WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(new[] { "1@0-10:1/100 r0F", "2@0-10:1/100 r0F" }, sink.Lines().Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(3, probe.Handled);
        Assert.Equal(24, sink.WatermarkOfRow(0));

        await kernel.CompleteAsync();
        Assert.Equal("1@20-30:1/100 r0F", sink.Lines()[^1]);
    }

    [Theory]
    [InlineData("spin-then-block")]
    [InlineData("blocking")]
    [InlineData("sleeping")]
    [InlineData("yielding")]
    [InlineData("busy-spin")]
    public async Task EveryWaitStrategy_CallsOnIdle_OnTheHandlersThread_WhileTheRingIsQuiet(string strategy)
    {
        WaitStrategy wait = strategy switch
        {
            "spin-then-block" => new SpinThenBlockWaitStrategy(),
            "blocking" => new BlockingWaitStrategy(),
            "sleeping" => new SleepingWaitStrategy(),
            "yielding" => new YieldingWaitStrategy(),
            _ => new BusySpinWaitStrategy(),
        };
        var handler = new IdleCounter();
        var plain = new PlainHandler();
        var ring = new RingBuffer<Order>(16, ProducerType.Multi, wait);
        var pipeline = new RingPipeline<Order>(ring) { IdleInterval = TimeSpan.FromMilliseconds(1) };
        pipeline.AddHandler(handler);
        pipeline.AddHandler(plain);
        pipeline.Start();
        await handler.WhenIdles(3).WaitAsync(RuntimeTestSupport.Timeout);   // quiet: idle calls, again and again
        ring.Publish(Order.Of(1, 1));
        await handler.WhenHandled(1).WaitAsync(RuntimeTestSupport.Timeout);
        await handler.WhenIdles(handler.Idles + 2).WaitAsync(RuntimeTestSupport.Timeout);   // quiet again after a batch
        await pipeline.ShutdownAsync().WaitAsync(RuntimeTestSupport.Timeout);
        Assert.False(handler.Overlapped);
        Assert.Equal(1, plain.Handled);
    }

    [Fact]
    public void IdleInterval_Negative_IsRefused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new StreamKernel<Order>(new StreamKernelOptions { IdleInterval = TimeSpan.FromMilliseconds(-5) }));
        Assert.Contains("IdleInterval", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Rows as <c>RowCollector</c> prints them; safe across threads; signals when a count is reached.</summary>
    private sealed class SignalSink : IRowSink<RevenueRow>
    {
        private readonly List<(RevenueRow Row, RowRevision Revision)> _rows = [];
        private readonly List<(int Count, TaskCompletionSource Done)> _waits = [];

        public void OnRow(in RevenueRow row, in RowRevision revision)
        {
            lock (_rows)
            {
                _rows.Add((row, revision));
                foreach (var (count, done) in _waits)
                    if (_rows.Count >= count) done.TrySetResult();
            }
        }

        public Task WhenRows(int count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_rows)
            {
                if (_rows.Count >= count) done.TrySetResult();
                else _waits.Add((count, done));
            }
            return done.Task;
        }

        public string[] Lines()
        {
            lock (_rows)
                return _rows.Select(r => $"{r.Row.ProductId}@{r.Row.WindowStartMs}-{r.Row.WindowEndMs}:{r.Row.Orders}/{r.Row.RevenueCents} r{r.Revision.Revision}{(r.Revision.IsFinal ? "F" : "")}").ToArray();
        }

        public long WatermarkOfRow(int index)
        {
            lock (_rows) return _rows[index].Revision.Watermark;
        }
    }

    /// <summary>Counts what a handler was given (entries, idle calls) and signals when a count is reached.</summary>
    private class Counter
    {
        private readonly object _gate = new();
        private readonly List<(bool Idle, long Count, TaskCompletionSource Done)> _waits = [];
        private long _handled;
        private long _idles;
        private int _inside;

        public long Handled { get { lock (_gate) return _handled; } }

        public long Idles { get { lock (_gate) return _idles; } }

        /// <summary>True if a batch and an idle call (or two of either) ever ran at once.</summary>
        public bool Overlapped { get; private set; }

        public Task WhenHandled(long count) => When(false, count);

        public Task WhenIdles(long count) => When(true, count);

        protected void Enter()
        {
            if (Interlocked.Increment(ref _inside) != 1) Overlapped = true;
        }

        protected void Exit(bool idle, long count)
        {
            Interlocked.Decrement(ref _inside);
            lock (_gate)
            {
                if (idle) _idles += count;
                else _handled += count;
                foreach (var (isIdle, target, done) in _waits)
                    if ((isIdle ? _idles : _handled) >= target) done.TrySetResult();
            }
        }

        private Task When(bool idle, long count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                if ((idle ? _idles : _handled) >= count) done.TrySetResult();
                else _waits.Add((idle, count, done));
            }
            return done.Task;
        }
    }

    /// <summary>Wraps an operator: forwards batches and idle calls, counting both.</summary>
    private sealed class Probe(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op) : Counter, IBatchHandler<Order>, IIdleHandler
    {
        public void OnBatch(ReadOnlySpan<RingEntry<Order>> entries, long firstSequence)
        {
            Enter();
            op.OnBatch(entries, firstSequence);
            var events = 0;
            foreach (ref readonly var e in entries) if (e.Kind == EntryKind.Event) events++;
            Exit(false, events);
        }

        public void OnIdle()
        {
            Enter();
            ((IIdleHandler)op).OnIdle();
            Exit(true, 1);
        }
    }

    private sealed class IdleCounter : Counter, IBatchHandler<Order>, IIdleHandler
    {
        public void OnBatch(ReadOnlySpan<RingEntry<Order>> entries, long firstSequence)
        {
            Enter();
            Exit(false, entries.Length);
        }

        public void OnIdle()
        {
            Enter();
            Exit(true, 1);
        }
    }

    private sealed class PlainHandler : IBatchHandler<Order>
    {
        public long Handled;

        public void OnBatch(ReadOnlySpan<RingEntry<Order>> entries, long firstSequence) => Handled += entries.Length;
    }
}

using System.Text;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;
using Kernel.Sources;
using Kernel.Tests.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Tests.Sources.Support;
using Kernel.Time;

namespace Kernel.Tests.Runtime;

/// <summary>Several sources through one <see cref="StreamKernel{TEvent}"/>: source ids on publish, end of input for all.</summary>
public sealed class MultiSourceS17Tests
{
    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> TwoSourceTumbling(RowCollector sink) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            MaxOutOfOrdernessMs = 0, Sources = 2, Clock = new ManualClock(),
        });

    [Fact]
    public async Task TwoSources_CompleteAsync_FiresEveryWindowOfBoth()
    {
        var sink = new RowCollector();
        var op = TwoSourceTumbling(sink);
        await using var kernel = new StreamKernel<Order>();
        kernel.AddHandler("windows", op);
        kernel.Start();
        kernel.Publish(Order.Of(1, 5), 0);      // W0 = 4
        kernel.Publish(Order.Of(1, 25), 0);     // W0 = 24
        kernel.Publish(Order.Of(2, 3), 1);      // W1 = 2, W = min = 2
        await kernel.PublishAsync(Order.Of(1, 12), 1);   // W1 = 11, W = 11: fires [0,10) (keys 1 and 2)
        await kernel.CompleteAsync();

        // End of input ends both sources: W = +∞ fires [10,20) (source 1's t=12) and [20,30) (source 0's t=25).
        // Ending source 0 only would leave W at 11 and those two windows unfired.
        Assert.Equal(long.MaxValue, op.Watermark);
        Assert.Equal(new[] { "1@0-10:1/100 r0F", "1@10-20:1/100 r0F", "1@20-30:1/100 r0F", "2@0-10:1/100 r0F" },
            sink.Lines().Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(4, kernel.EventsPublished);
    }

    [Fact]
    public async Task EndOfInputOfOneSource_StopsItHoldingBackTheOther()
    {
        var sink = new RowCollector();
        var op = TwoSourceTumbling(sink);
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var kernel = new StreamKernel<Order>();
        kernel.AddHandler("windows", new AfterBatch(op, () => { if (sink.Rows.Count > 0) fired.TrySetResult(); }));
        kernel.Start();
        kernel.Publish([Order.Of(1, 5), Order.Of(1, 25)], 0);   // W0 = 24; W1 = −∞ holds W back
        kernel.Publish([Order.Of(2, 1)], 1);                     // W1 = 0
        kernel.PublishEndOfInput(1);                             // W1 = +∞: W = 24 fires [0,10), not [20,30)
        await fired.Task.WaitAsync(RuntimeTestSupport.Timeout);
        Assert.Equal(new[] { "1@0-10:1/100 r0F", "2@0-10:1/100 r0F" }, sink.Lines().Order(StringComparer.Ordinal).ToArray());
        await kernel.CompleteAsync();
        Assert.Equal("1@20-30:1/100 r0F", sink.Lines()[^1]);
    }

    [Fact]
    public async Task SourceIdOutsideTheOperatorsSources_FailsTheKernelNamingIt()
    {
        var op = TwoSourceTumbling(new RowCollector());
        await using var kernel = new StreamKernel<Order>();
        kernel.AddHandler("windows", op);
        kernel.Start();
        kernel.Publish(Order.Of(1, 5), 0);
        kernel.Publish(Order.Of(1, 6), 7);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kernel.CompleteAsync());
        Assert.Equal(7, error.ActualValue);
        Assert.Contains("[0, 2)", error.Message, StringComparison.Ordinal);
        Assert.Contains("WindowOptions.Sources", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NegativeSourceId_IsRefusedAtPublish()
    {
        await using var kernel = new StreamKernel<Order>();
        kernel.Start();
        var one = Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Publish(Order.Of(1, 5), -1));
        Assert.Contains("Source id -1", one.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Publish([Order.Of(1, 5)], SourceIds.All));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.PublishWatermark(5, -2));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.SourceTarget(-1));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => kernel.PublishAsync(Order.Of(1, 5), -3).AsTask());
        Assert.Equal(0, kernel.EventsPublished);
    }

    [Fact]
    public async Task TwoStreamSources_PublishThroughTheirOwnSourceTargets_WithIdsAndPositions()
    {
        var recorder = new SourceRecorder();
        // A small ring and batches: both sources fill it, wait for room, and interleave.
        await using var kernel = new StreamKernel<Row>(new StreamKernelOptions { RingSize = 16 });
        kernel.AddHandler("record", recorder);
        kernel.Start();
        var a = Csv(0, 200);
        var b = Csv(1_000, 150);
        var options = new SourceOptions { BatchSize = 7 };
        await Task.WhenAll(
            new StreamSource<Row, RowParser>(new MemoryStream(a), "a", options).RunAsync(kernel.SourceTarget(0)),
            new StreamSource<Row, RowParser>(new MemoryStream(b), "b", options).RunAsync(kernel.SourceTarget(1)));
        await kernel.CompleteAsync();

        var bySource = recorder.Events.GroupBy(e => e.Source).ToDictionary(g => g.Key, g => g.ToArray());
        Assert.Equal(new[] { 0, 1 }, bySource.Keys.Order().ToArray());
        AssertSource(bySource[0], a, 0, 200);
        AssertSource(bySource[1], b, 1_000, 150);
        Assert.Equal(SourceIds.All, recorder.EndOfInputSource);
    }

    private static void AssertSource((int Source, long Position, long Id)[] events, byte[] csv, long firstId, int count)
    {
        // In input order, each event at the byte offset just after its line.
        Assert.Equal(Enumerable.Range(0, count).Select(i => firstId + i), events.Select(e => e.Id));
        var ends = new List<long>();
        for (var i = 0; i < csv.Length; i++) if (csv[i] == (byte)'\n') ends.Add(i + 1);
        Assert.Equal(ends, events.Select(e => e.Position));
    }

    private static byte[] Csv(long firstId, int count)
    {
        var text = new StringBuilder();
        for (var i = 0; i < count; i++) text.Append(firstId + i).Append(",1,").Append(i).Append('\n');
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private sealed class SourceRecorder : IBatchHandler<Row>
    {
        public readonly List<(int Source, long Position, long Id)> Events = [];
        public int? EndOfInputSource;

        public void OnBatch(ReadOnlySpan<RingEntry<Row>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
            {
                if (e.Kind == EntryKind.Event) Events.Add((e.SourceId, e.Value, e.Event.Id));
                else if (e.Kind == EntryKind.EndOfInput) EndOfInputSource = e.SourceId;
            }
        }
    }

    /// <summary>Runs the operator, then a check, on the handler's thread.</summary>
    private sealed class AfterBatch(IBatchHandler<Order> inner, Action after) : IBatchHandler<Order>
    {
        public void OnBatch(ReadOnlySpan<RingEntry<Order>> entries, long firstSequence)
        {
            inner.OnBatch(entries, firstSequence);
            after();
        }
    }
}

using Kernel.Journal;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Operators;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Journal;

/// <summary>
/// Replay feeds an aggregator through its batch path (Apply) instead of ring entries; the operator
/// must end up exactly as if the same batches had come through the ring: same rows (values,
/// revisions, finality, in order), same late events, same counters. The reference is the operator
/// fed through <see cref="IBatchHandler{T}.OnBatch"/>, the live path.
/// </summary>
public sealed class JournalReplayFeedTests
{
    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Windowed(RowCollector rows, LateCollector late, WindowKind kind, EmitMode emit, int sources = 1) =>
        new(rows, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = kind, SizeMs = 100, SlideMs = kind == WindowKind.Sliding ? 50 : 100, Emit = emit, EmitIntervalMs = emit == EmitMode.Periodic ? 1 : 0 },
            MaxOutOfOrdernessMs = 50, AllowedLatenessMs = 120, Clock = new ManualClock(), Sources = sources,
        });

    /// <summary>Orders over 20 products arriving out of order (up to 50 ms, one in twenty up to 400 ms: late).</summary>
    private static (Order Order, int Source)[] Arrivals(int seed, int count, int sources)
    {
        var rng = new Random(seed);
        var events = new List<(long SortKey, Order Order, int Source)>();
        long t = 0;
        for (var i = 0; i < count; i++)
        {
            t += rng.Next(0, 3);
            var delay = rng.Next(20) == 0 ? rng.Next(0, 400) : rng.Next(0, 51);
            events.Add((t + delay, Order.Of(rng.Next(20), t, rng.Next(1, 1_000), rng.Next(1, 5), i), rng.Next(sources)));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => (e.Order, e.Source)).ToArray();
    }

    private static void FeedRing(IBatchHandler<Order> op, (Order Order, int Source)[] events, int batch)
    {
        for (var at = 0; at < events.Length; at += batch)
        {
            var n = Math.Min(batch, events.Length - at);
            var entries = new RingEntry<Order>[n];
            for (var i = 0; i < n; i++)
                entries[i] = new RingEntry<Order> { Kind = EntryKind.Event, SourceId = events[at + i].Source, Value = at + i, Event = events[at + i].Order };
            op.OnBatch(entries, at);
        }
    }

    private static bool FeedReplay(IBatchHandler<Order> op, (Order Order, int Source)[] events, int batch)
    {
        var feed = new JournalReplayFeed<Order>(op, batch);
        long sequence = 0;
        for (var i = 0; i < events.Length; i++)
        {
            feed.Add(events[i].Order, events[i].Source, i);
            if (feed.IsFull)
            {
                var n = feed.Count;
                feed.Flush(sequence);
                sequence += n;
            }
        }
        feed.Flush(sequence);
        return feed.UsesBatchPath;
    }

    [Theory]
    [InlineData(1, WindowKind.Tumbling, EmitMode.Final, 64)]
    [InlineData(2, WindowKind.Tumbling, EmitMode.Final, 1_024)]
    [InlineData(3, WindowKind.Tumbling, EmitMode.EveryUpdate, 100)]
    [InlineData(4, WindowKind.Sliding, EmitMode.Final, 64)]
    [InlineData(5, WindowKind.Tumbling, EmitMode.Final, 2)]
    public void Windowed_BatchPath_EndsAsTheRingPath(int seed, WindowKind kind, EmitMode emit, int batch)
    {
        var events = Arrivals(seed, 5_000, sources: 1);
        RowCollector refRows = new(), rows = new();
        LateCollector refLate = new(), late = new();
        var reference = Windowed(refRows, refLate, kind, emit);
        var replayed = Windowed(rows, late, kind, emit);
        FeedRing(reference, events, batch);
        Assert.True(FeedReplay(replayed, events, batch), $"seed {seed}: the windowed operator was not fed through its batch path");
        reference.EndOfInput();
        replayed.EndOfInput();

        Assert.True(refRows.Rows.Count > 100, $"seed {seed}: the reference emitted only {refRows.Rows.Count} rows");
        Assert.True(refLate.Orders.Count > 0, $"seed {seed}: the input has no late events; the test would not see them differ");
        Assert.True(refRows.Lines().SequenceEqual(rows.Lines()), $"seed {seed}: the rows differ from the ring path's");
        Assert.Equal(refRows.Rows.Select(r => r.Revision), rows.Rows.Select(r => r.Revision));
        Assert.Equal(refLate.Orders, late.Orders);
        Assert.Equal(reference.EventsSeen, replayed.EventsSeen);
        Assert.Equal(reference.LateEvents, replayed.LateEvents);
    }

    /// <summary>A batch holding an event of another source goes through the ring path (Apply folds source 0 only).</summary>
    [Theory]
    [InlineData(11, 64)]
    [InlineData(12, 500)]
    public void Windowed_TwoSources_EndsAsTheRingPath(int seed, int batch)
    {
        var events = Arrivals(seed, 4_000, sources: 2);
        // Long runs of source 0 too, so that some batches do take the batch path.
        for (var i = 0; i < 1_500; i++) events[i].Source = 0;
        RowCollector refRows = new(), rows = new();
        LateCollector refLate = new(), late = new();
        var reference = Windowed(refRows, refLate, WindowKind.Tumbling, EmitMode.Final, sources: 2);
        var replayed = Windowed(rows, late, WindowKind.Tumbling, EmitMode.Final, sources: 2);
        FeedRing(reference, events, batch);
        FeedReplay(replayed, events, batch);
        reference.EndOfInput();
        replayed.EndOfInput();

        Assert.True(refRows.Rows.Count > 100, $"seed {seed}: the reference emitted only {refRows.Rows.Count} rows");
        Assert.True(refRows.Lines().SequenceEqual(rows.Lines()), $"seed {seed}: the rows differ from the ring path's");
        Assert.Equal(refLate.Orders, late.Orders);
        Assert.Equal(reference.EventsSeen, replayed.EventsSeen);
    }

    [Fact]
    public void Keyed_BatchPath_EndsAsTheRingPath()
    {
        var events = Arrivals(21, 5_000, sources: 1);
        var reference = new KeyedAggregator<Order, long, SalesState, SalesTotalRow, SalesTotalSpec>();
        var replayed = new KeyedAggregator<Order, long, SalesState, SalesTotalRow, SalesTotalSpec>();
        FeedRing(reference, events, 100);
        Assert.True(FeedReplay(replayed, events, 100), "the keyed operator was not fed through its batch path");
        var expected = events.GroupBy(e => e.Order.ProductId).ToDictionary(g => g.Key, g => (g.Sum(e => e.Order.RevenueCents), (long)g.Count()));
        foreach (var (product, (revenue, orders)) in expected)
        {
            Assert.True(replayed.TryGet(product, out var state), $"product {product} missing");
            Assert.Equal((revenue, orders), (state.Revenue, state.Orders));
            Assert.True(reference.TryGet(product, out var refState));
            Assert.Equal((refState.Revenue, refState.Orders), (state.Revenue, state.Orders));
        }
        Assert.Equal(expected.Count, replayed.Count);
        Assert.Equal(reference.EventsSeen, replayed.EventsSeen);
    }

    /// <summary>Any other handler gets ring entries: events in order, with their source and position.</summary>
    [Fact]
    public void OtherHandler_GetsRingEntries_WithSourceAndPosition()
    {
        var events = Arrivals(31, 300, sources: 3);
        var handler = new EntryRecorder();
        Assert.False(FeedReplay(handler, events, 64));
        Assert.Equal(events.Length, handler.Entries.Count);
        for (var i = 0; i < events.Length; i++)
        {
            var (kind, source, value, order) = handler.Entries[i];
            Assert.Equal(EntryKind.Event, kind);
            Assert.Equal(events[i].Source, source);
            Assert.Equal(i, value);
            Assert.Equal(events[i].Order.OrderId, order.OrderId);
        }
        Assert.Equal(new long[] { 0, 64, 128, 192, 256 }, handler.FirstSequences);
    }

    public sealed class LateCollector : ILateEventSink<Order>
    {
        public List<long> Orders { get; } = [];

        public void OnLateEvent(in Order e, long eventTimeMs, long watermark) => Orders.Add(e.OrderId);
    }

    private sealed class EntryRecorder : IBatchHandler<Order>
    {
        public List<(EntryKind Kind, int Source, long Value, Order Event)> Entries { get; } = [];

        public List<long> FirstSequences { get; } = [];

        public void OnBatch(ReadOnlySpan<RingEntry<Order>> entries, long firstSequence)
        {
            FirstSequences.Add(firstSequence);
            foreach (var e in entries) Entries.Add((e.Kind, e.SourceId, e.Value, e.Event));
        }
    }
}

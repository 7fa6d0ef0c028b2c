using Kernel.Journal;
using Kernel.Ring;
using Kernel.Storage.Log;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Storage.Log;

namespace Kernel.Tests.Journal;

public sealed class JournalHandlerTests
{
    private const ulong Layout = 0xABCDEF;

    private struct Trade
    {
        public long Time;
        public int Key;
        public double Price;
    }

    private readonly struct TradeTime : IEventTimestamp<Trade>
    {
        public long TimestampOf(in Trade e) => e.Time;
    }

    private static SegmentedLog OpenLog(string path, FlushPolicy policy = FlushPolicy.OnDemand) =>
        SegmentedLog.Open(path, new LogOptions
        {
            SegmentBytes = 4 << 20,
            FlushPolicy = policy,
            PayloadFingerprint = JournalRecord.Fingerprint<Trade>(Layout),
        });

    private static RingEntry<Trade> Event(long i) => new()
    {
        Kind = EntryKind.Event,
        SourceId = (int)(i % 3),
        Value = 1000 + i * 17,
        Event = new Trade { Time = 50_000 + i, Key = (int)i, Price = i * 0.5 },
    };

    private static RingEntry<Trade> Control(EntryKind kind, long value) => new() { Kind = kind, Value = value };

    [Fact]
    public void OnBatch_JournalsEveryEvent_WithSourcePositionAndEventTime()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Trade, TradeTime>(log, Layout);
        var batch = new[] { Event(0), Event(1), Control(EntryKind.Watermark, 49_999), Event(2) };
        handler.OnBatch(batch, firstSequence: 100);
        handler.OnBatch([Event(3)], firstSequence: 104);
        Assert.Equal(104, handler.JournaledSequence);
        Assert.Equal(4, log.EndOffset); // the watermark is not journaled

        using var reader = log.OpenReader(0);
        for (var i = 0; i < 4; i++)
        {
            Assert.True(reader.TryRead(out var record));
            Assert.True(JournalRecord.TryRead<Trade>(record.Payload, out var trade, out var position, out var source));
            var expected = Event(i);
            Assert.Equal(expected.Event, trade);
            Assert.Equal(expected.Value, position);
            Assert.Equal(expected.SourceId, source);
            Assert.Equal(expected.Event.Time, record.Timestamp);
        }
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void Barrier_FlushesAndMakesItsSequenceDurable()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Trade, TradeTime>(log, Layout);
        handler.OnBatch([Event(0), Event(1)], 0);
        Assert.Equal(-1, handler.DurableSequence);
        Assert.Equal(0, log.DurableOffset);
        var wait = handler.WaitForDurableAsync(3);
        Assert.False(wait.IsCompleted);
        handler.OnBatch([Event(2), Control(EntryKind.Barrier, 7), Event(3)], 2);
        Assert.Equal(3, handler.DurableSequence); // the barrier's sequence
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(3, log.DurableOffset); // events 0..2 are on disk; event 3 came after the barrier
        Assert.Equal(4, handler.JournaledSequence);
        Assert.Equal(4, handler.Flush());
        Assert.Equal(4, log.DurableOffset);
    }

    [Fact]
    public async Task WaitForDurable_CompletesWhenAnotherThreadFlushes()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Trade, TradeTime>(log, Layout);
        handler.OnBatch([Event(0), Event(1), Event(2)], 10);
        var wait = handler.WaitForDurableAsync(12);
        await Task.Run(handler.Flush).WaitAsync(TimeSpan.FromSeconds(30));
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(12, handler.DurableSequence);
    }

    [Fact]
    public void EveryAppendPolicy_MakesEachBatchDurable()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path, FlushPolicy.EveryAppend);
        var handler = new JournalHandler<Trade, TradeTime>(log, Layout);
        handler.OnBatch([Event(0), Event(1)], 0);
        Assert.Equal(1, handler.DurableSequence);
    }

    [Fact]
    public void Constructor_LogWithOtherFingerprint_ThrowsNamingBoth()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 1 << 20, PayloadFingerprint = 1 });
        var e = Assert.Throws<ArgumentException>(() => new JournalHandler<Trade, TradeTime>(log, Layout));
        Assert.Contains("0x0000000000000001", e.Message, StringComparison.Ordinal);
        Assert.Contains(JournalRecord.Fingerprint<Trade>(Layout).ToString("X16", System.Globalization.CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fingerprint_DependsOnLayoutAndSize()
    {
        Assert.NotEqual(JournalRecord.Fingerprint<Trade>(1), JournalRecord.Fingerprint<Trade>(2));
        Assert.NotEqual(JournalRecord.Fingerprint<Trade>(1), JournalRecord.Fingerprint<long>(1));
        Assert.Equal(JournalRecord.Fingerprint<Trade>(1), JournalRecord.Fingerprint<Trade>(1));
    }

    [Fact]
    public void OnBatch_AllocatesNothingPerEvent()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path, FlushPolicy.None);
        var handler = new JournalHandler<Trade, TradeTime>(log, Layout);
        var batch = new RingEntry<Trade>[1000];
        for (var i = 0; i < batch.Length; i++) batch[i] = Event(i);
        handler.OnBatch(batch, 0); // warm up (JIT, first touches)
        var rounds = 1;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var end = rounds + 20; rounds < end; rounds++) handler.OnBatch(batch, rounds * 1000L);
        });
        Assert.Equal(0, allocated);
        Assert.True(rounds >= 21, $"{rounds} batches");
        Assert.Equal(rounds * 1000L, log.EndOffset);
    }
}

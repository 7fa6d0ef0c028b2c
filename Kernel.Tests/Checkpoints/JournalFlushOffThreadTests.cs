using Kernel.Checkpoints;
using Kernel.Journal;
using Kernel.Pipelines;
using Kernel.Ring;
using Kernel.Storage.Log;
using Kernel.Tests.Storage.Log;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// The journal of a durable pipeline does not flush on its own thread at a barrier
/// (<see cref="JournalHandler{T, TTime}.FlushAtBarriers"/> off); its participant's snapshot flushes
/// instead. And replay records the last position of each source.
/// </summary>
public sealed class JournalFlushOffThreadTests
{
    private const ulong Layout = 0x5EED_F1u;

    private struct Tick
    {
        public long Time;
        public long Value;
    }

    private readonly struct TickTime : IEventTimestamp<Tick>
    {
        public long TimestampOf(in Tick e) => e.Time;
    }

    private static SegmentedLog OpenLog(string path) =>
        SegmentedLog.Open(path, new LogOptions { SegmentBytes = 1 << 20, PayloadFingerprint = JournalRecord.Fingerprint<Tick>(Layout) });

    private static RingEntry<Tick> Event(long i, int source = 0) => new()
    {
        Kind = EntryKind.Event,
        SourceId = source,
        Value = 500 + i,
        Event = new Tick { Time = 1_000 + i, Value = i },
    };

    private static RingEntry<Tick> Barrier(long checkpointId) => new() { Kind = EntryKind.Barrier, Value = checkpointId };

    [Fact]
    public void Barrier_WithoutFlushAtBarriers_JournalsButLeavesTheLogUnflushed()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Tick, TickTime>(log, Layout) { FlushAtBarriers = false };
        handler.OnBatch([Event(0), Event(1), Barrier(1), Event(2)], 0);
        Assert.Equal(3, handler.JournaledSequence);
        Assert.Equal(3, log.EndOffset);
        Assert.Equal(-1, handler.DurableSequence);
        Assert.Equal(0, log.DurableOffset);
        // End of input still flushes on the handler's thread.
        handler.OnBatch([new RingEntry<Tick> { Kind = EntryKind.EndOfInput }], 4);
        Assert.Equal(4, handler.DurableSequence);
        Assert.Equal(3, log.DurableOffset);
    }

    [Fact]
    public async Task Snapshot_FlushesThroughTheBarrier_AndRecordsItsOffsetAndPositions()
    {
        using var dir = new TempLogDirectory();
        using var checkpointDir = new TempDirectory("journal-flush");
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Tick, TickTime>(log, Layout) { FlushAtBarriers = false };
        var participant = new JournalParticipant<Tick, TickTime>("journal", handler, log);
        // Three events, barrier 7 at sequence 3, then two more events the journal takes before the snapshot runs.
        participant.OnBatch([Event(0, 0), Event(1, 1), Event(2, 0), Barrier(7), Event(3, 1), Event(4, 0)], 0);
        Assert.Equal(0, log.DurableOffset);

        var context = new CheckpointContext(7, 3, checkpointDir.Path);
        await participant.SnapshotAsync(context, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(handler.DurableSequence >= 3, $"durable sequence {handler.DurableSequence} is before the barrier's 3");
        Assert.True(log.DurableOffset >= 3, $"durable offset {log.DurableOffset} is before the barrier's offset 3");
        var manifest = context.ToManifest(new Dictionary<string, long>(), DateTimeOffset.UnixEpoch, TimeSpan.Zero, 0);
        Assert.Equal(3, manifest.JournalOffset);   // the events before the barrier
        Assert.Equal(new Dictionary<int, long> { [0] = 502, [1] = 501 }, manifest.SourcePositions);
    }

    [Fact]
    public void Replay_RecordsTheLastPositionOfEverySource()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Tick, TickTime>(log, Layout);
        var rng = new Random(20261201);
        // Runs of one source of random lengths, across several replay batches (1,024 events each).
        var events = new List<RingEntry<Tick>>();
        for (var i = 0; events.Count < 5_000; i++)
        {
            var source = rng.Next(4);
            var run = rng.Next(1, 700);
            for (var k = 0; k < run; k++) events.Add(Event(events.Count, source));
        }
        handler.OnBatch(events.ToArray(), 0);
        var expected = events.GroupBy(e => e.SourceId).ToDictionary(g => g.Key, g => g.Last().Value);

        var positions = new Dictionary<int, long> { [9] = 123 };   // a source the journal does not hold keeps its position
        expected[9] = 123;
        var counter = new CountingHandler();
        var replayed = JournalReplay.Run(log, 0, counter, positions);
        Assert.Equal(events.Count, replayed);
        Assert.Equal(events.Count, counter.Events);
        Assert.Equal(expected.OrderBy(p => p.Key), positions.OrderBy(p => p.Key));
    }

    [Fact]
    public void Replay_FromAnOffset_RecordsOnlyWhatFollows()
    {
        using var dir = new TempLogDirectory();
        using var log = OpenLog(dir.Path);
        var handler = new JournalHandler<Tick, TickTime>(log, Layout);
        handler.OnBatch([Event(0, 0), Event(1, 1), Event(2, 0), Event(3, 0)], 0);
        var positions = new Dictionary<int, long> { [1] = 77 };
        Assert.Equal(2, JournalReplay.Run(log, 2, new CountingHandler(), positions));
        Assert.Equal(new Dictionary<int, long> { [0] = 503, [1] = 77 }, positions);
    }

    private sealed class CountingHandler : IBatchHandler<Tick>
    {
        public long Events;

        public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
        {
            foreach (ref readonly var e in entries)
                if (e.Kind == EntryKind.Event) Events++;
        }
    }
}

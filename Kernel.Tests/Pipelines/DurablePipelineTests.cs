using System.Globalization;
using Kernel.Checkpoints;
using Kernel.Journal;
using Kernel.Operators;
using Kernel.Pipelines;
using Kernel.Sinks;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// The durable pipeline in process: a run stopped after a checkpoint and more events, then started
/// again on its data directory, restores the checkpoint, replays exactly the journaled events after
/// it, resumes the source after the last journaled one, and commits the same bytes as a run that was
/// never stopped.
/// </summary>
public sealed class DurablePipelineTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _dir = new("pipeline");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, 1_000, 1_700)]
    [InlineData(2, 2_500, 2_501)]
    [InlineData(3, 10, 3_900)]
    public async Task StopAfterCheckpoint_Restart_CommitsTheSameBytesAsAnUninterruptedRun(int seed, int checkpointAt, int stopAt)
    {
        var events = Arrivals(new Random(seed), 4_000);
        var reference = Path.Combine(_dir.Path, "reference");
        await using (var run = new Run(reference))
        {
            var recovery = await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.Equal(0, recovery.CheckpointId);
            await Publish(run.Pipeline, events, 0, events.Length);
            await run.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
            // The final checkpoint's barrier and the watermarks to +∞ are control entries, not events.
            Assert.Equal(events.Length, run.Pipeline.Kernel.EventsPublished);
        }

        var resumed = Path.Combine(_dir.Path, "resumed");
        await using (var first = new Run(resumed))
        {
            await first.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            await Publish(first.Pipeline, events, 0, checkpointAt);
            var checkpoint = await first.Pipeline.CheckpointAsync(default).WaitAsync(s_timeout);
            Assert.True(checkpoint.Outcome == CheckpointOutcome.Completed, $"seed {seed}: {checkpoint.Failure}");
            await Publish(first.Pipeline, events, checkpointAt, stopAt);
            Assert.Equal(stopAt, first.Pipeline.Kernel.EventsPublished);   // the checkpoint's barrier is not an event
        }
        long checkpointId;
        await using (var second = new Run(resumed))
        {
            var recovery = await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            checkpointId = recovery.CheckpointId;
            Assert.True(recovery.EventsReplayed == stopAt - checkpointAt, $"seed {seed}: replayed {recovery.EventsReplayed}, journaled after the checkpoint {stopAt - checkpointAt}");
            var resumeAt = (int)recovery.ResumePosition();
            Assert.True(resumeAt == stopAt, $"seed {seed}: resumes at {resumeAt}, the journal holds through {stopAt}");
            await Publish(second.Pipeline, events, resumeAt, events.Length);
            await second.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        Assert.True(checkpointId >= 1, $"seed {seed}: no checkpoint restored");
        var expected = await File.ReadAllTextAsync(Path.Combine(reference, "rows.csv"));
        Assert.True(expected.Split('\n').Length > 50, $"seed {seed}: the reference run committed too few rows");
        Assert.Equal(expected, await File.ReadAllTextAsync(Path.Combine(resumed, "rows.csv")));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, "late.csv")), await File.ReadAllTextAsync(Path.Combine(resumed, "late.csv")));
    }

    /// <summary>
    /// A savepoint taken mid-stream and started in a new data directory (no journal, no checkpoints
    /// of its own) goes on from the savepoint's source position: the rows committed before it plus
    /// those committed after equal an uninterrupted run's, byte for byte.
    /// </summary>
    [Theory]
    [InlineData(11, 1_300)]
    [InlineData(12, 3_111)]
    public async Task Savepoint_StartedInANewDataDirectory_GoesOnFromItsSourcePosition(int seed, int cut)
    {
        var events = Arrivals(new Random(seed), 4_000);
        var reference = await ReferenceRunAsync(events);

        var (before, savepointDir) = await SavepointAfterAsync(events, cut);
        Assert.True(File.Exists(Path.Combine(savepointDir, Savepoint.FileName)));

        var after = Path.Combine(_dir.Path, "after");
        await using (var second = new Run(after, savepoint: savepointDir))
        {
            var recovery = await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.True(recovery.ResumePosition() == cut, $"seed {seed}: resumes at {recovery.ResumePosition()}, the savepoint holds through {cut}");
            Assert.Equal(0, recovery.EventsReplayed);
            await Publish(second.Pipeline, events, cut, events.Length);
            await second.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        static string Body(string text) => text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        var expected = await File.ReadAllTextAsync(Path.Combine(reference, "rows.csv"));
        var joined = await File.ReadAllTextAsync(Path.Combine(before, "rows.csv")) + Body(await File.ReadAllTextAsync(Path.Combine(after, "rows.csv")));
        Assert.True(Body(await File.ReadAllTextAsync(Path.Combine(after, "rows.csv"))).Length > 0, $"seed {seed}: nothing committed after the savepoint");
        Assert.Equal(expected, joined);
        Assert.Equal(Body(await File.ReadAllTextAsync(Path.Combine(reference, "late.csv"))),
            Body(await File.ReadAllTextAsync(Path.Combine(before, "late.csv"))) + Body(await File.ReadAllTextAsync(Path.Combine(after, "late.csv"))));
    }

    [Fact]
    public async Task Savepoint_LeftInTheOptions_IsIgnoredOnceTheDataDirectoryHasACheckpointOfItsOwn()
    {
        // docs/checkpoints.md: RestoreFromSavepoint applies only when the data directory holds no checkpoint of its own,
        // so a restart after a crash recovers the pipeline's own progress, not the savepoint's older state.
        const int cut = 1_000;
        var events = Arrivals(new Random(13), 3_000);
        var reference = await ReferenceRunAsync(events);
        var (before, savepointDir) = await SavepointAfterAsync(events, cut);
        var after = Path.Combine(_dir.Path, "after");
        await using (var second = new Run(after, savepoint: savepointDir))
        {
            await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            await Publish(second.Pipeline, events, cut, cut + 500);
            Assert.Equal(CheckpointOutcome.Completed, (await second.Pipeline.CheckpointAsync(default).WaitAsync(s_timeout)).Outcome);
            await Publish(second.Pipeline, events, cut + 500, cut + 800);
        }   // stopped without completing, as a crash would leave it

        await using (var third = new Run(after, savepoint: savepointDir))
        {
            var recovery = await third.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.True(recovery.CheckpointId >= 1, $"recovered from checkpoint {recovery.CheckpointId}");
            Assert.Equal(300, recovery.EventsReplayed);
            Assert.Equal(cut + 800, recovery.ResumePosition());
            await Publish(third.Pipeline, events, cut + 800, events.Length);
            await third.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        static string Body(string text) => text[(text.IndexOf('\n', StringComparison.Ordinal) + 1)..];
        var joined = await File.ReadAllTextAsync(Path.Combine(before, "rows.csv")) + Body(await File.ReadAllTextAsync(Path.Combine(after, "rows.csv")));
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, "rows.csv")), joined);
    }

    [Fact]
    public async Task Restart_OfAFinishedRun_CommitsNothingTwice()
    {
        var events = Arrivals(new Random(9), 2_000);
        var dir = Path.Combine(_dir.Path, "finished");
        await using (var run = new Run(dir))
        {
            await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            await Publish(run.Pipeline, events, 0, events.Length);
            await run.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        var once = await File.ReadAllTextAsync(Path.Combine(dir, "rows.csv"));
        await using (var again = new Run(dir))
        {
            var recovery = await again.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.Equal(0, recovery.EventsReplayed);
            Assert.Equal(events.Length, recovery.ResumePosition());
            await again.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        Assert.Equal(once, await File.ReadAllTextAsync(Path.Combine(dir, "rows.csv")));
    }

    [Fact]
    public async Task JournalSegments_NoKeptCheckpointNeeds_AreDeleted_AndRecoveryStillWorks()
    {
        var events = Arrivals(new Random(8), 12_000);
        var reference = await ReferenceRunAsync(events);
        var dir = Path.Combine(_dir.Path, "truncated");
        const int segmentBytes = 16 << 10; // about 200 records a segment
        await CheckpointEveryThousandThenStopAsync(dir, events, segmentBytes);
        var segments = Directory.GetFiles(Path.Combine(dir, "journal")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.True(segments.Length < 20, $"the journal should have lost its oldest segments, has {segments.Length}: {string.Join(", ", segments)}");
        Assert.DoesNotContain("0000000000.seg", segments);
        await using (var second = new Run(dir, segmentBytes: segmentBytes))
        {
            var recovery = await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            Assert.Equal(500, recovery.EventsReplayed);
            Assert.Equal(8_500, recovery.ResumePosition());
            await Publish(second.Pipeline, events, 8_500, events.Length);
            await second.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        }
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, "rows.csv")), await File.ReadAllTextAsync(Path.Combine(dir, "rows.csv")));
    }

    [Fact]
    public async Task NewestManifestCorrupt_RecoveryFallsBackToTheOlderKeptCheckpoint_WhoseJournalRetentionKept()
    {
        // docs/checkpoints.md: the journal's retention floor is the journal offset of the *oldest* checkpoint kept on disk,
        // so recovery can fall back past a newest checkpoint whose manifest was corrupted on disk.
        var events = Arrivals(new Random(9), 9_000);
        var dir = Path.Combine(_dir.Path, "fallback");
        const int segmentBytes = 16 << 10; // about 200 records a segment
        await CheckpointEveryThousandThenStopAsync(dir, events, segmentBytes);
        var store = new CheckpointStore(dir);
        Assert.Equal([7L, 8], store.ListCheckpointIds());   // KeepCheckpoints = 2
        Assert.DoesNotContain("0000000000.seg", Directory.GetFiles(Path.Combine(dir, "journal")).Select(Path.GetFileName));
        var manifest = Path.Combine(store.GetCheckpointDirectory(8), CheckpointStore.ManifestFileName);
        var bytes = await File.ReadAllBytesAsync(manifest);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(manifest, bytes);

        await using var second = new Run(dir, segmentBytes: segmentBytes);
        var recovery = await second.Pipeline.StartAsync(default).WaitAsync(s_timeout);

        Assert.Equal(7, recovery.CheckpointId);
        Assert.Equal(1_500, recovery.EventsReplayed);     // from checkpoint 7's offset (7,000 events) to the journal's end
        Assert.Equal(8_500, recovery.ResumePosition());
        await Publish(second.Pipeline, events, 8_500, events.Length);
        await second.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
    }

    [Fact]
    public async Task CompleteAsync_LetsTheIntervalCheckpointInFlightFinish_InsteadOfCancellingIt()
    {
        // docs/checkpoints.md: CompleteAsync stops interval checkpoints without cancelling the one in flight. Cancelled,
        // it would abort, its sinks would drop its epoch's rows, and the final checkpoint would commit without them.
        var events = Arrivals(new Random(14), 3_000);
        var reference = await ReferenceRunAsync(events);
        var dir = Path.Combine(_dir.Path, "interval");
        var holding = new HoldingSink();
        var stopWaiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (var run = new Run(dir, extraSink: holding, interval: TimeSpan.FromMilliseconds(10)))
        {
            run.Pipeline.IntervalStopWaitingHook = () => stopWaiting.TrySetResult();
            await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            await Publish(run.Pipeline, events, 0, 2_000);
            await holding.Entered.Task.WaitAsync(s_timeout);   // an interval checkpoint is in flight, held in its pre-commit
            await Publish(run.Pipeline, events, 2_000, events.Length);

            var completing = run.Pipeline.CompleteAsync(default);
            // CompleteAsync has stopped the interval loop's ticks and now waits for the checkpoint in flight: a
            // cancellation of it would have run by now (the stop awaits the cancellation's callbacks first).
            await stopWaiting.Task.WaitAsync(s_timeout);
            Assert.False(holding.Cancelled.Task.IsCompleted, "CompleteAsync cancelled the checkpoint in flight");
            Assert.False(completing.IsCompleted);
            holding.Release.SetResult();
            var final = await completing.WaitAsync(s_timeout);

            Assert.Equal(CheckpointOutcome.Completed, final.Outcome);
            Assert.DoesNotContain(holding.Calls, c => c.StartsWith("abort:", StringComparison.Ordinal));
            Assert.Contains($"commit:{final.CheckpointId}", holding.Calls);
        }
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(reference, "rows.csv")), await File.ReadAllTextAsync(Path.Combine(dir, "rows.csv")));
    }

    [Fact]
    public async Task AbortedCheckpoint_FaultsThePipeline_AndNoLaterCheckpointCommits()
    {
        var events = Arrivals(new Random(5), 2_000);
        var dir = Path.Combine(_dir.Path, "aborted");
        await using (var run = new Run(dir, new FailingSink()))
        {
            await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
            await Publish(run.Pipeline, events, 0, 1_000);
            var checkpoint = await run.Pipeline.CheckpointAsync(default).WaitAsync(s_timeout);
            Assert.Equal(CheckpointOutcome.Aborted, checkpoint.Outcome);
            Assert.Contains("failing", checkpoint.Failure!.Message, StringComparison.Ordinal);
            var publish = await Assert.ThrowsAsync<InvalidOperationException>(() => Publish(run.Pipeline, events, 1_000, 1_100));
            Assert.Contains($"checkpoint {checkpoint.CheckpointId} aborted", publish.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<InvalidOperationException>(() => run.Pipeline.CheckpointAsync(default));
            Assert.Throws<InvalidOperationException>(() => run.Pipeline.InjectBarrier(99));
        }
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(dir, "checkpoints"), "manifest", SearchOption.AllDirectories));
        Assert.Equal("product,start,revenue,orders\n", await File.ReadAllTextAsync(Path.Combine(dir, "rows.csv")));
    }

    [Fact]
    public async Task Publish_AllocatesNothingPerEvent()
    {
        // A warm-up batch, then 39,000 fresh events per measured attempt (Allocations.SteadyState:
        // the first window without a GC counts), up to three attempts.
        const int PerAttempt = 39_000;
        var events = Arrivals(new Random(6), 1_000 + 3 * PerAttempt);
        var positions = Enumerable.Range(1, events.Length).Select(p => (long)p).ToArray();
        await using var run = new Run(Path.Combine(_dir.Path, "alloc"));
        await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
        Assert.True(run.Pipeline.PublishAsync(events.AsMemory(0, 1_000), positions.AsMemory(0, 1_000), default).IsCompletedSuccessfully);
        var at = 1_000;
        var allocated = Allocations.SteadyState(() =>
        {
            for (var end = at + PerAttempt; at < end; at += 1_000)
            {
                // Synchronous: the ring applies backpressure by waiting, never by a pending task.
                var publish = run.Pipeline.PublishAsync(events.AsMemory(at, 1_000), positions.AsMemory(at, 1_000), default);
                Assert.True(publish.IsCompletedSuccessfully);
            }
        }, attempts: 3);
        Assert.True(allocated < 1_024, $"publishing {PerAttempt} events allocated {allocated} bytes on the publishing thread");
        await run.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
    }

    /// <summary>An uninterrupted run over every event in its own directory (returned): the rows any other run must commit.</summary>
    private async Task<string> ReferenceRunAsync(Order[] events)
    {
        var reference = Path.Combine(_dir.Path, "reference");
        await using var run = new Run(reference);
        await run.Pipeline.StartAsync(default).WaitAsync(s_timeout);
        await Publish(run.Pipeline, events, 0, events.Length);
        await run.Pipeline.CompleteAsync(default).WaitAsync(s_timeout);
        return reference;
    }

    /// <summary>A run (in its own directory, returned) over events [0, cut) that then writes a savepoint (directory returned) and stops.</summary>
    private async Task<(string Before, string Savepoint)> SavepointAfterAsync(Order[] events, int cut)
    {
        var before = Path.Combine(_dir.Path, "before");
        var savepointDir = Path.Combine(_dir.Path, "savepoint");
        await using var first = new Run(before);
        await first.Pipeline.StartAsync(default).WaitAsync(s_timeout);
        await Publish(first.Pipeline, events, 0, cut);
        var savepoint = await first.Pipeline.SavepointAsync(savepointDir, default).WaitAsync(s_timeout);
        Assert.Equal(cut, savepoint.SourcePositions[0]);
        return (before, savepointDir);
    }

    /// <summary>A run that checkpoints after each 1,000 of the first 8,000 events, then publishes 500 more and stops as a crash would.</summary>
    private static async Task CheckpointEveryThousandThenStopAsync(string dir, Order[] events, long segmentBytes)
    {
        await using var first = new Run(dir, segmentBytes: segmentBytes);
        await first.Pipeline.StartAsync(default).WaitAsync(s_timeout);
        for (var at = 0; at < 8_000; at += 1_000)
        {
            await Publish(first.Pipeline, events, at, at + 1_000);
            Assert.Equal(CheckpointOutcome.Completed, (await first.Pipeline.CheckpointAsync(default).WaitAsync(s_timeout)).Outcome);
        }
        await Publish(first.Pipeline, events, 8_000, 8_500);
    }

    /// <summary>Publishes events [from, to) with positions 1-based (the position after each "record").</summary>
    private static async Task Publish(DurablePipeline<Order, OrderTime> pipeline, Order[] events, int from, int to)
    {
        for (var i = from; i < to; i += 100)
        {
            var n = Math.Min(100, to - i);
            var positions = Enumerable.Range(i + 1, n).Select(p => (long)p).ToArray();
            await pipeline.PublishAsync(events.AsMemory(i, n), positions, default);
        }
    }

    private static Order[] Arrivals(Random rng, int n)
    {
        var events = new List<(long SortKey, Order Order)>(n);
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            var order = Order.Of(rng.Next(20), t, rng.Next(1, 1_000), rng.Next(1, 5), i);
            var delay = rng.Next(20) == 0 ? rng.Next(0, 400) : rng.Next(0, 51);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    /// <summary>One process's worth of pipeline: operator, participant, sinks over a data directory.</summary>
    private sealed class Run : IRowSink<RevenueRow>, ILateEventSink<Order>, IAsyncDisposable
    {
        private readonly TransactionalFileSink<RevenueRow> _rows;
        private readonly TransactionalFileSink<Order> _late;

        public Run(string dir, ICheckpointSink? extraSink = null, long segmentBytes = 1 << 20, string? savepoint = null, TimeSpan? interval = null)
        {
            Directory.CreateDirectory(dir);
            _rows = new TransactionalFileSink<RevenueRow>(Path.Combine(dir, "rows.csv"),
                RowFormatter.FromText<RevenueRow>("product,start,revenue,orders", r => string.Create(CultureInfo.InvariantCulture, $"{r.ProductId},{r.WindowStartMs},{r.RevenueCents},{r.Orders}")), "rows");
            _late = new TransactionalFileSink<Order>(Path.Combine(dir, "late.csv"),
                RowFormatter.FromText<Order>("order", o => o.OrderId.ToString(CultureInfo.InvariantCulture)), "late");
            var participant = new OperatorParticipant("op");
            participant.OnBarrierSeal(_rows.SealEpoch);
            participant.OnBarrierSeal(_late.SealEpoch);
            var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(this, this, new WindowOptions
            {
                Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
                MaxOutOfOrdernessMs = 50, AllowedLatenessMs = 120, Clock = new ManualClock(), Control = participant,
            });
            participant.Bind(op);
            Pipeline = new DurablePipeline<Order, OrderTime>(new DurablePipelineOptions
            {
                DataDirectory = dir, EventLayoutFingerprint = 0x0DE5, RingSize = 1 << 10,
                CheckpointInterval = interval ?? TimeSpan.FromHours(1), JournalSegmentBytes = segmentBytes, KeepCheckpoints = 2,
                RestoreFromSavepoint = savepoint,
            });
            Pipeline.SetOperator("op", op, participant);
            Pipeline.AddSink(_rows);
            Pipeline.AddSink(_late);
            if (extraSink is not null) Pipeline.AddSink(extraSink);
        }

        public DurablePipeline<Order, OrderTime> Pipeline { get; }

        public void OnRow(in RevenueRow row, in RowRevision revision)
        {
            if (revision.IsFinal) _rows.Write(row);
        }

        public void OnLateEvent(in Order e, long eventTimeMs, long watermark) => _late.Write(e);

        public async ValueTask DisposeAsync()
        {
            await Pipeline.DisposeAsync();
            _rows.Dispose();
            _late.Dispose();
        }
    }

    /// <summary>
    /// Holds its first pre-commit (an interval checkpoint) until released, ignoring the token but recording whether it was
    /// cancelled; records commits and aborts.
    /// </summary>
    private sealed class HoldingSink : ICheckpointSink
    {
        private readonly List<string> _calls = [];
        private int _preCommits;

        public string Name => "holding";

        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string[] Calls
        {
            get
            {
                lock (_calls) return [.. _calls];
            }
        }

        public async ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _preCommits) == 1)
            {
                await using var registration = cancellationToken.Register(() => Cancelled.TrySetResult());
                Entered.TrySetResult();
                await Release.Task;
            }
            lock (_calls) _calls.Add($"precommit:{epoch}");
        }

        public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
        {
            lock (_calls) _calls.Add($"commit:{epoch}");
            return ValueTask.CompletedTask;
        }

        public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken)
        {
            lock (_calls) _calls.Add($"abort:{epoch}");
            return ValueTask.CompletedTask;
        }

        public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>A sink whose pre-commit always fails.</summary>
    private sealed class FailingSink : ICheckpointSink
    {
        public string Name => "failing";

        public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken) => throw new IOException("disk full");

        public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private readonly struct OrderTime : IEventTimestamp<Order>
    {
        public long TimestampOf(in Order e) => e.TimestampMs;
    }
}

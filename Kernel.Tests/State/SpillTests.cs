using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using Sales = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState,
    Kernel.Tests.Operators.Specs.SalesWindowRow, Kernel.Tests.Operators.Specs.SalesWindowSpec>;

namespace Kernel.Tests.State;

/// <summary>
/// State larger than memory (docs/state-and-memory.md): a windowed operator with a tiny state budget,
/// checkpointed incrementally at random points, spills its fired windows to the LSM store and reads them
/// back for allowed-late events, queries and the final rows. Everything it emits, answers and restores
/// must equal an operator without a budget fed the same input, and the final rows must equal a GROUP BY
/// computed here from the events.
/// </summary>
public sealed class SpillTests : IDisposable
{
    private const long Size = 100;
    private const long Lateness = 600;
    private readonly TempDirectory _dir = new("spill");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int, string, EmitMode> Cases() => new()
    {
        { 1, "tumbling", EmitMode.Final },
        { 2, "tumbling", EmitMode.OnWindowClose },
        { 3, "tumbling", EmitMode.Periodic },
        { 4, "tumbling", EmitMode.EveryUpdate },
        { 5, "sliding", EmitMode.Final },
        { 6, "sliding", EmitMode.OnWindowClose },
        { 7, "sliding", EmitMode.EveryUpdate },
        { 8, "tumbling", EmitMode.Final },
        { 9, "sliding", EmitMode.Periodic },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TinyBudget_SameRowsQueriesAndStateAsNoBudget_AndFinalRowsAreTheGroupBy(int seed, string kind, EmitMode emit)
    {
        var what = $"seed {seed}, {kind}/{emit}";
        var events = Events(new Random(seed), 15_000);
        var spilledRows = new RowLog();
        var referenceRows = new RowLog();
        var clock = new ManualClock();
        var referenceClock = new ManualClock();
        var (participant, op, coordinator) = Spilling(spilledRows, kind, emit, clock, $"run-{seed}", budget: 1 + seed % 3 * 50);
        var reference = NewOperator(referenceRows, null, kind, emit, referenceClock, budget: 0);

        var rng = new Random(seed * 17);
        long maxSpilled = 0;
        var queried = 0;
        var snapshotChecked = false;
        for (var at = 0; at < events.Length;)
        {
            at = ApplyBoth(rng, events, at, op, reference);
            TickBoth(rng, op, clock, reference, referenceClock);
            await CheckpointAsync(coordinator, participant);
            maxSpilled = Math.Max(maxSpilled, op.SpilledEntries);
            Assert.Equal(reference.StateEntries, op.StateEntries + op.SpilledEntries);
            if (op.SpilledEntries > 0 && rng.Next(4) == 0)
            {
                AssertSameQueries(op, reference, what);
                queried++;
            }
            if (!snapshotChecked && op.SpilledEntries > 0 && at > events.Length / 2)
            {
                // A full snapshot is written from memory: spilled entries come back for it, and it equals the reference's.
                Assert.Equal(Decode(FullSnapshot(reference)), Decode(FullSnapshot(op)));
                Assert.Equal(0, op.SpilledEntries);
                snapshotChecked = true;
            }
        }
        op.EndOfInput();
        reference.EndOfInput();
        participant.CloseStore();

        Assert.True(maxSpilled > 0, $"{what}: nothing spilled");
        Assert.True(op.SpillReads > 0, $"{what}: no spilled entry was read back");
        Assert.True(queried > 0, $"{what}: no query met a spilled window");
        Assert.True(snapshotChecked, $"{what}: no full snapshot with spilled entries");
        Assert.Equal(0, reference.LateEvents);
        Assert.Equal(0, op.LateEvents);
        Assert.Equal(Sorted(referenceRows.Rows), Sorted(spilledRows.Rows));
        Assert.Equal(GroupBy(events, kind), FinalRows(spilledRows.Rows));
    }

    [Theory]
    [InlineData(11, "tumbling", EmitMode.Final)]
    [InlineData(12, "tumbling", EmitMode.OnWindowClose)]
    [InlineData(13, "sliding", EmitMode.EveryUpdate)]
    public async Task RestoreWithSpilledEntries_ThenReplay_EmitsWhatTheUninterruptedRunEmits(int seed, string kind, EmitMode emit)
    {
        var what = $"seed {seed}, {kind}/{emit}";
        var events = Events(new Random(seed), 12_000);
        var referenceRows = new RowLog();
        var reference = NewOperator(referenceRows, null, kind, emit, new ManualClock(), budget: 0);
        var (participant, op, coordinator) = Spilling(new RowLog(), kind, emit, new ManualClock(), "first", budget: 10);
        var rng = new Random(seed);
        var at = 0;
        long checkpoint = -1;
        var rowsAtCheckpoint = 0;
        while (at < events.Length * 2 / 3 || checkpoint < 0 || op.SpilledEntries == 0)
        {
            Assert.True(at < events.Length, $"{what}: no checkpoint with spilled entries before the end");
            at = ApplyBoth(rng, events, at, op, reference);
            checkpoint = (await CheckpointAsync(coordinator, participant)).CheckpointId;
            rowsAtCheckpoint = referenceRows.Rows.Count;
            // The barrier after a capture spills; the one that spilled is the one to restore (its metadata counts them).
            if (op.SpilledEntries > 0 && at >= events.Length * 2 / 3) break;
        }
        Assert.True(op.SpilledEntries > 0, what);
        var entriesAtCheckpoint = reference.StateEntries;
        participant.CloseStore();

        // A new process: restore the checkpoint (the store's copy holds the spilled entries), replay the rest.
        var restoredRows = new RowLog();
        var (again, restored, next) = Spilling(restoredRows, kind, emit, new ManualClock(), "second", budget: 10, register: false);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data-first"));
        await RestoreAsync(again, store, checkpoint);
        Assert.True(restored.StateEntries + restored.SpilledEntries == entriesAtCheckpoint,
            $"{what}: restore found {restored.StateEntries} entries in memory and {restored.SpilledEntries} in the store, the checkpoint held {entriesAtCheckpoint}");
        var nextCoordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 100 });
        nextCoordinator.Register(again);
        while (at < events.Length)
        {
            at = ApplyBoth(rng, events, at, restored, reference);
            await CheckpointAsync(nextCoordinator, again);
        }
        restored.EndOfInput();
        reference.EndOfInput();
        again.CloseStore();
        Assert.True(restored.SpillReads > 0, $"{what}: the replay read nothing back from the store");
        Assert.Equal(Sorted(referenceRows.Rows.Skip(rowsAtCheckpoint).ToList()), Sorted(restoredRows.Rows));
    }

    /// <summary>
    /// A checkpoint written without a budget (every entry in memory, all in the store) restored by an
    /// operator with one: at most the budget comes into memory, the rest stays in the store. Queries, the
    /// replay's rows and the final rows must still be the uninterrupted unbudgeted run's and the GROUP BY's.
    /// </summary>
    [Theory]
    [InlineData(31, "tumbling", EmitMode.Final, 100)]
    [InlineData(32, "tumbling", EmitMode.EveryUpdate, 100)]
    [InlineData(33, "sliding", EmitMode.OnWindowClose, 300)]
    [InlineData(34, "sliding", EmitMode.EveryUpdate, 300)]
    public async Task RestoreOfMoreThanTheBudget_KeepsAtMostTheBudgetInMemory_AndEmitsWhatTheUninterruptedRunEmits(int seed, string kind, EmitMode emit, long budget)
    {
        var what = $"seed {seed}, {kind}/{emit}, budget {budget}";
        var events = Events(new Random(seed), 12_000);
        var referenceRows = new RowLog();
        var referenceClock = new ManualClock();
        var reference = NewOperator(referenceRows, null, kind, emit, referenceClock, budget: 0);
        var firstRows = new RowLog();
        var firstClock = new ManualClock();
        var (participant, op, coordinator) = Spilling(firstRows, kind, emit, firstClock, "unbudgeted", budget: 0);
        var rng = new Random(seed);
        var at = 0;
        long checkpoint = -1;
        while (at < events.Length / 2 || reference.StateEntries < 3 * budget)
        {
            Assert.True(at < events.Length * 3 / 4, $"{what}: the state never grew to three times the budget");
            at = ApplyBoth(rng, events, at, op, reference);
            TickBoth(rng, op, firstClock, reference, referenceClock);
            checkpoint = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        }
        Assert.Equal(0, op.SpilledEntries);
        var entriesAtCheckpoint = op.StateEntries;
        var rowsAtCheckpoint = firstRows.Rows.Count;
        Assert.Equal(referenceRows.Rows.Count, rowsAtCheckpoint);
        participant.CloseStore();

        // A new process with a budget restores it.
        var restoredRows = new RowLog();
        var restoredClock = new ManualClock(firstClock.NowMs);
        var (again, restored, _) = Spilling(restoredRows, kind, emit, restoredClock, "budgeted", budget, register: false);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data-unbudgeted"));
        await RestoreAsync(again, store, checkpoint);
        Assert.True(restored.StateEntries <= budget, $"{what}: restore kept {restored.StateEntries} entries in memory, spilled {restored.SpilledEntries}, total {entriesAtCheckpoint}");
        Assert.True(restored.SpilledEntries > 0, $"{what}: restore left nothing in the store");
        Assert.Equal(entriesAtCheckpoint, restored.StateEntries + restored.SpilledEntries);
        AssertSameQueries(restored, reference, what);   // every row of every live window, spilled ones read from the store

        var nextCoordinator = new CheckpointCoordinator(store, new CheckpointCoordinatorOptions { KeepLast = 100 });
        nextCoordinator.Register(again);
        while (at < events.Length)
        {
            at = ApplyBoth(rng, events, at, restored, reference);
            TickBoth(rng, restored, restoredClock, reference, referenceClock);
            await CheckpointAsync(nextCoordinator, again);
        }
        restored.EndOfInput();
        reference.EndOfInput();
        again.CloseStore();
        Assert.True(restored.SpillReads > 0, $"{what}: the replay read nothing back from the store");
        Assert.Equal(0, reference.LateEvents);
        Assert.Equal(0, restored.LateEvents);
        Assert.Equal(Sorted(referenceRows.Rows.Skip(rowsAtCheckpoint).ToList()), Sorted(restoredRows.Rows));
        Assert.Equal(GroupBy(events, kind), FinalRows([.. firstRows.Rows, .. restoredRows.Rows]));
    }

    [Fact]
    public async Task AbortedCheckpoint_TheNextFullCaptureKeepsTheSpilledEntries()
    {
        var events = Events(new Random(21), 8_000);
        var (participant, op, coordinator) = Spilling(new RowLog(), "tumbling", EmitMode.Final, new ManualClock(), "abort", budget: 1);
        var reference = NewOperator(new RowLog(), null, "tumbling", EmitMode.Final, new ManualClock(), budget: 0);
        var at = 0;
        while (op.SpilledEntries == 0)
        {
            Assert.True(at < events.Length, "nothing spilled");
            op.Apply(events.AsSpan(at, 500));
            reference.Apply(events.AsSpan(at, 500));
            at += 500;
            await CheckpointAsync(coordinator, participant);
        }
        // A capture whose checkpoint aborts: the next capture is full, deleting the store's content first.
        var aborted = coordinator.ReserveCheckpointId();
        participant.OnBarrier(aborted, 0);
        await ((ICheckpointParticipant)participant).AbortAsync(aborted, CancellationToken.None);
        op.Apply(events.AsSpan(at, 500));
        reference.Apply(events.AsSpan(at, 500));
        var full = (await CheckpointAsync(coordinator, participant)).CheckpointId;
        var expected = Decode(FullSnapshot(reference));
        participant.CloseStore();

        var (again, restored, _) = Spilling(new RowLog(), "tumbling", EmitMode.Final, new ManualClock(), "abort-restored", budget: 1, register: false);
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data-abort"));
        await RestoreAsync(again, store, full);
        Assert.Equal(expected, Decode(FullSnapshot(restored)));
        again.CloseStore();
    }

    [Fact]
    public async Task HotPath_WithSpilledWindows_AllocatesNothing()
    {
        var (participant, op, coordinator) = Spilling(new RowLog(), "tumbling", EmitMode.Final, new ManualClock(), "alloc", budget: 1);
        var events = Events(new Random(5), 6_000);
        for (var at = 0; at < events.Length; at += 200)
        {
            op.Apply(events.AsSpan(at, 200));
            await CheckpointAsync(coordinator, participant);
        }
        Assert.True(op.SpilledEntries > 0, "nothing spilled");
        // In-order events of hot keys in the current window: the per-event path never looks at the store.
        var t = events.Max(e => e.TimestampMs);
        var hot = new Order[1_024];
        for (var i = 0; i < hot.Length; i++) hot[i] = Order.Of(i % 50, t, 100, 1, i);
        var bytes = Allocations.SteadyState(() => op.Apply(hot));
        participant.CloseStore();
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Budget_WithoutAStore_IsRefusedWithAClearMessage()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NewOperator(new RowLog(), null, "tumbling", EmitMode.Final, new ManualClock(), budget: 1_000));
        Assert.Contains("durable pipeline", e.Message, StringComparison.Ordinal);
        Assert.Contains("StateBudgetEntries", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => NewOperator(new RowLog(), null, "tumbling", EmitMode.Final, new ManualClock(), budget: -1));
        var session = Assert.Throws<ArgumentOutOfRangeException>(() => new Sales(new RowLog(), null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 50 },
            Control = new OperatorParticipant("s"),
            StateBudgetEntries = 10,
        }));
        Assert.Contains("session", session.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Budget_OnAParticipantWithoutIncrementalCheckpoints_KeepsTheStateInMemory()
    {
        // Not incremental: the participant takes full snapshots and never asks the operator to spill,
        // so the state stays in memory (and whole in the snapshot).
        var (participant, op, coordinator) = CheckpointRig<Sales>.Open(null, new CheckpointStore(Path.Combine(_dir.Path, "plain")),
            p => NewOperator(new RowLog(), p, "tumbling", EmitMode.Final, new ManualClock(), budget: 1), name: "plain");
        op.Apply(Events(new Random(3), 3_000));
        await CheckpointAsync(coordinator, participant);
        Assert.Equal(0, op.SpilledEntries);
        Assert.False(participant.IsIncremental);
    }

    /// <summary>Hands the next 1–699 events (a random count) to the operator under test and to the reference; returns the new position.</summary>
    private static int ApplyBoth(Random rng, Order[] events, int at, Sales op, Sales reference)
    {
        var n = Math.Min(rng.Next(1, 700), events.Length - at);
        op.Apply(events.AsSpan(at, n));
        reference.Apply(events.AsSpan(at, n));
        return at + n;
    }

    /// <summary>Moves both clocks by the same random step (0–299 ms) and lets processing time act on both operators.</summary>
    private static void TickBoth(Random rng, Sales op, ManualClock clock, Sales reference, ManualClock referenceClock)
    {
        var advance = rng.Next(0, 300);
        clock.Advance(advance);
        referenceClock.Advance(advance);
        op.Tick();
        reference.Tick();
    }

    private static void AssertSameQueries(Sales op, Sales reference, string what)
    {
        var starts = new long[512];
        var n = op.GetLiveWindowStarts(starts);
        Assert.Equal(reference.GetLiveWindowStarts(new long[512]), n);
        for (var i = 0; i < Math.Min(n, starts.Length); i++)
        {
            var a = new CollectingVisitor { Rows = [] };
            var b = new CollectingVisitor { Rows = [] };
            Assert.Equal(reference.VisitLiveWindow(starts[i], ref b), op.VisitLiveWindow(starts[i], ref a));
            Assert.True(b.Rows.Select(r => r.ToString()).Order(StringComparer.Ordinal).SequenceEqual(a.Rows.Select(r => r.ToString()).Order(StringComparer.Ordinal)), $"{what}: window {starts[i]} visits differently");
            for (long key = 0; key < 3_000; key += 7)
            {
                var found = op.TryGetLiveRow(key, starts[i], out var row);
                Assert.Equal(reference.TryGetLiveRow(key, starts[i], out var expected), found);
                if (found) Assert.Equal(expected, row);
            }
        }
    }

    /// <summary>
    /// At a barrier, entries of fired windows leave memory oldest window first until the entries in memory are within the
    /// budget; open windows stay (session 24's audit: the tests above check that rows and totals are right whatever
    /// leaves, not which windows leave or how many).
    /// </summary>
    [Fact]
    public async Task AtABarrier_OldestFiredWindowsLeaveFirst_UntilWithinTheBudget_OpenWindowsStay()
    {
        var (participant, op, coordinator) = CheckpointRig<Sales>.Open(Path.Combine(_dir.Path, "live-order"), new CheckpointStore(Path.Combine(_dir.Path, "data-order")),
            p => new Sales(new RowLog(), null, new WindowOptions
            {
                Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
                MaxOutOfOrdernessMs = 20, AllowedLatenessMs = 10_000, Emit = EmitMode.Final, Clock = new ManualClock(), Control = p,
                InitialCapacity = 8, StateBudgetEntries = 550,
            }), new CheckpointCoordinatorOptions { KeepLast = 10 });
        var keys = new Order[100];
        for (var w = 0; w < 10; w++)
        {
            for (var k = 0; k < keys.Length; k++) keys[k] = Order.Of(k, w * 100 + 50);
            op.Apply(keys);                        // window [100w, 100w + 100): 100 keys
        }
        var open = new Order[300];
        for (var k = 0; k < open.Length; k++) open[k] = Order.Of(k, 1_050);
        op.Apply(open);                            // W = 1,029: windows 0 … 9 fired (kept for lateness); [1000, 1100) open with 300 keys
        Assert.Equal(1_300, op.StateEntries);

        await CheckpointAsync(coordinator, participant);   // captures every entry: none is clean before it
        await CheckpointAsync(coordinator, participant);   // now they are: 1,300 > 550, so windows leave oldest first

        Assert.Equal(500, op.StateEntries);        // windows 8 and 9 (200) and the open one (300)
        Assert.Equal(800, op.SpilledEntries);      // windows 0 … 7
        var reads = op.SpillReads;
        Assert.True(op.TryGetLiveRow(5, 900, out _));
        Assert.True(op.TryGetLiveRow(5, 800, out _));
        Assert.True(op.TryGetLiveRow(250, 1_000, out _));
        Assert.Equal(reads, op.SpillReads);        // newest fired windows and the open one: in memory
        Assert.True(op.TryGetLiveRow(5, 0, out _));
        Assert.True(op.SpillReads > reads);        // the oldest: read from the store
        participant.CloseStore();
    }

    private CheckpointRig<Sales> Spilling(RowLog rows, string kind, EmitMode emit, IClock clock, string name, long budget, bool register = true) =>
        CheckpointRig<Sales>.Open(Path.Combine(_dir.Path, "live-" + name), new CheckpointStore(Path.Combine(_dir.Path, "data-" + name)),
            p => NewOperator(rows, p, kind, emit, clock, budget), new CheckpointCoordinatorOptions { KeepLast = 100 }, register);

    private static Sales NewOperator(RowLog rows, OperatorParticipant? control, string kind, EmitMode emit, IClock clock, long budget) =>
        new(rows, null, new WindowOptions
        {
            Window = kind == "sliding"
                ? new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 3 * Size, SlideMs = Size }
                : new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = Size, SlideMs = Size },
            MaxOutOfOrdernessMs = 20, AllowedLatenessMs = Lateness, Emit = emit, EmitIntervalMs = 200, Clock = clock, Control = control,
            InitialCapacity = 8, StateBudgetEntries = budget,
        });

    /// <summary>
    /// Mostly in order; some out of order within the bound; some late by 50–400 ms, which is behind the
    /// watermark but inside the 600 ms lateness, so no event is dropped and every one is in the GROUP BY.
    /// Hot keys (0–49) most of the time, cold ones (up to 3,000) a quarter of it.
    /// </summary>
    private static Order[] Events(Random rng, int n)
    {
        var events = new Order[n];
        long t = 1_000;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 3);
            var time = rng.Next(10) switch
            {
                0 => t - rng.Next(0, 20),
                1 or 2 => t - rng.Next(50, 400),
                _ => t,
            };
            events[i] = Order.Of(rng.Next(rng.Next(4) == 0 ? 3_000 : 50), time, rng.Next(1, 1_000), rng.Next(1, 5), i);
        }
        return events;
    }

    /// <summary>Revenue and order count per (product, window) from the events, windows assigned here.</summary>
    private static List<string> GroupBy(Order[] events, string kind)
    {
        var slides = kind == "sliding" ? 3 : 1;
        return events
            .SelectMany(e => Enumerable.Range(0, slides).Select(k => (e, Start: (e.TimestampMs / Size - k) * Size)))
            .GroupBy(x => (x.e.ProductId, x.Start))
            .Select(g => $"{g.Key.ProductId}@{g.Key.Start}..{g.Key.Start + slides * Size}: {g.Sum(x => x.e.RevenueCents)}/{g.Count()}")
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static List<string> FinalRows(List<(SalesWindowRow Row, int Revision, bool Final)> rows) =>
        rows.Where(r => r.Final)
            .Select(r => $"{r.Row.ProductId}@{r.Row.Start}..{r.Row.End}: {r.Row.Revenue}/{r.Row.Orders}")
            .Order(StringComparer.Ordinal)
            .ToList();

    private static List<string> Sorted(List<(SalesWindowRow Row, int Revision, bool Final)> rows) =>
        rows.Select(r => $"{r.Row} r{r.Revision} {r.Final}").Order(StringComparer.Ordinal).ToList();

    /// <summary>The operator's full snapshot as comparable lines (<see cref="CheckpointHarness.WindowedSnapshotLines"/>).</summary>
    private static List<string> Decode(byte[] snapshot) => WindowedSnapshotLines(snapshot);

    private sealed class RowLog : IRowSink<SalesWindowRow>
    {
        public List<(SalesWindowRow Row, int Revision, bool Final)> Rows { get; } = [];

        public void OnRow(in SalesWindowRow row, in RowRevision revision) => Rows.Add((row, revision.Revision, revision.IsFinal));
    }

    private struct CollectingVisitor : IRowVisitor<SalesWindowRow>
    {
        public List<SalesWindowRow> Rows;

        public readonly void Visit(in SalesWindowRow row) => Rows.Add(row);
    }
}

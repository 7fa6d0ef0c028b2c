using System.Buffers;
using Kernel.Checkpoints;
using Kernel.Tests.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using Sales = Kernel.Operators.WindowedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState,
    Kernel.Tests.Operators.Specs.SalesWindowRow, Kernel.Tests.Operators.Specs.SalesWindowSpec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// Periodic emission across a restore (full snapshot, incremental checkpoint, savepoint), tumbling and sliding:
/// the first tick after a restore emits exactly the rows the uninterrupted operator emits at that tick
/// (the rows changed since its last tick, with their next revisions): none when nothing changed, and
/// never a row that was already emitted and not updated since.
/// </summary>
public sealed class WindowPeriodicRestoreTests : IDisposable
{
    private const long Interval = 200;
    private readonly TempDirectory _dir = new("periodic-restore");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, string> Cases() => new()
    {
        { "tumbling", "full" },
        { "tumbling", "incremental" },
        { "sliding", "full" },
        { "sliding", "incremental" },
        { "tumbling", "savepoint" },
        { "sliding", "savepoint" },
    };

    /// <summary>The tick emitted rows of <paramref name="key"/> only, and the same rows live and restored.</summary>
    private static void AssertBothEmitOnly(long key, List<string> liveRows, List<string> restoredRows)
    {
        Assert.NotEmpty(liveRows);
        Assert.All(liveRows, r => Assert.StartsWith($"{key}@", r, StringComparison.Ordinal));
        Assert.Equal(liveRows, restoredRows);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TickAfterRestore_EmitsOnlyWhatTheUninterruptedTickEmits(string kind, string how)
    {
        var liveRows = new List<string>();
        var liveClock = new ManualClock();
        var rig = CheckpointRig<Sales>.Open(how != "full" ? Path.Combine(_dir.Path, "live") : null,
            new CheckpointStore(Path.Combine(_dir.Path, "data")), p => NewOperator(liveRows, p, kind, liveClock));
        var live = rig.Operator;

        // Window(s) [1000, 1100) (sliding: panes of 100 in windows of 300): five keys, then a tick.
        live.Apply([Order.Of(1, 1_000), Order.Of(2, 1_001), Order.Of(3, 1_002), Order.Of(4, 1_003), Order.Of(5, 1_004)]);
        Tick(live, liveClock);
        Assert.NotEmpty(liveRows);

        // 1. Nothing changed since the tick: a restored operator's first tick emits nothing.
        var (restored, restoredRows, restoredClock, close) = await RestoreAsync(rig, kind, how, "a");
        liveRows.Clear();
        Tick(live, liveClock);
        Tick(restored, restoredClock);
        Assert.Empty(liveRows);
        Assert.Empty(restoredRows);
        close();

        // 2. One key changed since the tick (a pending row): the restored tick emits that row, nothing else.
        live.Apply([Order.Of(2, 1_020)]);
        (restored, restoredRows, restoredClock, close) = await RestoreAsync(rig, kind, how, "b");
        Tick(live, liveClock);
        Tick(restored, restoredClock);
        AssertBothEmitOnly(2, liveRows, restoredRows);
        liveRows.Clear();
        close();

        // 3. The window fired and an allowed-late event updated it (Periodic rows come from the fired
        // window then), then a tick: after a restore the next tick emits nothing, the one after a late
        // update only that update.
        live.Apply([Order.Of(6, 1_450)]);                 // W = 1429: [1000, 1100) (and sliding's first windows) fired
        live.Apply([Order.Of(3, 1_050)]);                 // allowed-late (lateness 400)
        Tick(live, liveClock);
        Assert.Contains(liveRows, r => r.StartsWith("3@", StringComparison.Ordinal));
        liveRows.Clear();
        (restored, restoredRows, restoredClock, close) = await RestoreAsync(rig, kind, how, "c");
        Tick(live, liveClock);
        Tick(restored, restoredClock);
        Assert.Empty(liveRows);
        Assert.Empty(restoredRows);
        live.Apply([Order.Of(4, 1_060)]);
        restored.Apply([Order.Of(4, 1_060)]);
        Tick(live, liveClock);
        Tick(restored, restoredClock);
        AssertBothEmitOnly(4, liveRows, restoredRows);

        // And to the end: the same rows, revisions included.
        liveRows.Clear();
        restoredRows.Clear();
        live.EndOfInput();
        restored.EndOfInput();
        Assert.True(liveRows.Order(StringComparer.Ordinal).SequenceEqual(restoredRows.Order(StringComparer.Ordinal)), $"live [{string.Join(", ", liveRows)}] restored [{string.Join(", ", restoredRows)}]");
        close();
        rig.Participant.CloseStore();
    }

    /// <summary>
    /// Random input (out of order, allowed-late and late events), random ticks, and a restore every few
    /// batches into a new operator: after each tick the restored chain has emitted exactly the uninterrupted
    /// operator's rows, in the same order within the tick.
    /// </summary>
    [Theory]
    [InlineData("tumbling", "full", 1)]
    [InlineData("tumbling", "incremental", 2)]
    [InlineData("sliding", "full", 3)]
    [InlineData("sliding", "incremental", 4)]
    [InlineData("tumbling", "savepoint", 5)]
    [InlineData("sliding", "savepoint", 6)]
    public async Task RestoresBetweenRandomTicks_EmitTheUninterruptedRows(string kind, string how, int seed)
    {
        var rng = new Random(seed);
        var liveRows = new List<string>();
        var liveClock = new ManualClock();
        var rig = CheckpointRig<Sales>.Open(how != "full" ? Path.Combine(_dir.Path, "live") : null,
            new CheckpointStore(Path.Combine(_dir.Path, "data")), p => NewOperator(liveRows, p, kind, liveClock));
        var live = rig.Operator;
        var twinRows = new List<string>();
        var twinClock = new ManualClock();
        var twin = NewOperator(twinRows, new OperatorParticipant("twin"), kind, twinClock);
        Action closeTwin = () => { };
        long t = 1_000;
        var restores = 0;
        for (var step = 0; step < 400; step++)
        {
            var n = rng.Next(1, 30);
            var batch = new Order[n];
            for (var i = 0; i < n; i++)
            {
                t += rng.Next(0, 4);
                var time = rng.Next(10) switch { 0 => t - rng.Next(0, 20), 1 => t - rng.Next(50, 700), _ => t };
                batch[i] = Order.Of(rng.Next(12), time, rng.Next(1, 100), 1, i);
            }
            live.Apply(batch);
            twin.Apply(batch);
            if (rng.Next(3) == 0)
            {
                Tick(live, liveClock);
                Tick(twin, twinClock);
                AssertSameRows(liveRows, twinRows, $"seed {seed}, step {step}");
                liveRows.Clear();
                twinRows.Clear();
            }
            if (rng.Next(4) == 0)
            {
                // The twin is replaced by an operator restored from the live one's state (they are equal).
                AssertSameRows(liveRows, twinRows, $"seed {seed}, step {step}, before the restore");
                liveRows.Clear();
                closeTwin();
                (twin, twinRows, twinClock, closeTwin) = await RestoreAsync(rig, kind, how, "r" + restores);
                restores++;
                twinClock.Advance(liveClock.NowMs);
            }
        }
        live.EndOfInput();
        twin.EndOfInput();
        AssertSameRows(liveRows, twinRows, $"seed {seed}, end");
        Assert.True(restores > 50, $"only {restores} restores");
        closeTwin();
        rig.Participant.CloseStore();
    }

    /// <summary>The same rows (a restored table may list a window's keys in another order).</summary>
    private static void AssertSameRows(List<string> expected, List<string> actual, string what)
    {
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && expected.Count == actual.Count,
            $"{what}: {actual.Count} rows, expected {expected.Count}; missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
    }

    private static void Tick(Sales op, ManualClock clock)
    {
        clock.Advance(Interval);
        op.Tick();
    }

    /// <summary>A new operator restored from the live one's state now (a full snapshot, or a checkpoint of its incremental store).</summary>
    private async Task<(Sales Op, List<string> Rows, ManualClock Clock, Action Close)> RestoreAsync(CheckpointRig<Sales> rig, string kind, string how, string name)
    {
        var rows = new List<string>();
        var clock = new ManualClock();
        if (how == "full")
        {
            var snapshot = new ArrayBufferWriter<byte>();
            rig.Operator.WriteSnapshot(snapshot);
            var op = NewOperator(rows, new OperatorParticipant("x"), kind, clock);
            op.RestoreSnapshot(snapshot.WrittenSpan);
            return (op, rows, clock, () => { });
        }
        var id = (await CheckpointAsync(rig.Coordinator, rig.Participant)).CheckpointId;
        if (how == "savepoint")
        {
            // The incremental checkpoint joined into the full format, restored into a participant without a store.
            var (fresh, op) = CheckpointRig<Sales>.Bound(null, p => NewOperator(rows, p, kind, clock));
            await SavepointRoundTripAsync(rig.Store, id, rig.Participant, Path.Combine(_dir.Path, "sp-" + name), fresh);
            return (op, rows, clock, () => { });
        }
        var (participant, restored) = CheckpointRig<Sales>.Bound(Path.Combine(_dir.Path, "live-" + name), p => NewOperator(rows, p, kind, clock));
        await CheckpointHarness.RestoreAsync(participant, rig.Store, id);
        return (restored, rows, clock, participant.CloseStore);
    }

    private static Sales NewOperator(List<string> rows, OperatorParticipant control, string kind, IClock clock) =>
        new(new Lines(rows), null, new WindowOptions
        {
            Window = kind == "sliding"
                ? new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 300, SlideMs = 100 }
                : new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 100, SlideMs = 100 },
            MaxOutOfOrdernessMs = 20, AllowedLatenessMs = 400, Emit = EmitMode.Periodic, EmitIntervalMs = Interval, Clock = clock, Control = control,
        });

    private sealed class Lines(List<string> rows) : IRowSink<SalesWindowRow>
    {
        public void OnRow(in SalesWindowRow row, in RowRevision revision) =>
            rows.Add($"{row.ProductId}@{row.Start}-{row.End}:{row.Revenue}/{row.Orders} r{revision.Revision}{(revision.IsFinal ? "F" : "")}");
    }
}

using System.Buffers;
using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Periodic emission of sliding windows whose slide differs from their size (docs/event-time.md): at
/// each tick one row per (key, window) that changed since its last row, open or fired inside its
/// lateness, with the next revision of that (key, window); a final row on release. Hand-derived
/// tables for small sequences, a property test against a per-(key, window) dictionary model, restores
/// in the middle, and the allocation bound.
/// </summary>
public sealed class SlidingPeriodicTests
{
    private const long Interval = 1_000;

    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> Sliding(
        IRowSink<RevenueRow> sink, IClock clock, long size, long slide, long lateness = 0, long ooo = 0, long offset = 0) =>
        new(sink, null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = size, SlideMs = slide, OffsetMs = offset },
            MaxOutOfOrdernessMs = ooo, AllowedLatenessMs = lateness, Emit = EmitMode.Periodic, EmitIntervalMs = Interval, Clock = clock,
        });

    private static void Tick(WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> op, ManualClock clock)
    {
        clock.Advance(Interval);
        op.Tick();
    }

    private static string[] Sorted(RowCollector sink) => sink.Lines().Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void Ticks_EmitChangedOpenWindows_OneRowPerWindowEvenWhenTwoOfItsPanesChanged_ThenFinalRowsOnRelease()
    {
        // Size 10, slide 5: panes of 5, each instant in two windows. Bound 0 (W = t − 1), no lateness.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = Sliding(sink, clock, 10, 5);
        op.Apply([Order.Of(1, 3)]);                // in [-5,5) and [0,10); W = 2
        Assert.Empty(sink.Rows);                   // no tick yet
        Tick(op, clock);
        Assert.Equal(new[] { "1@-5-5:1/100 r0", "1@0-10:1/100 r0" }, sink.Lines());
        sink.Clear();
        Tick(op, clock);                           // nothing changed
        Assert.Empty(sink.Rows);

        op.Apply([Order.Of(1, 4)]);                // same pane [0,5); W = 3
        Tick(op, clock);
        Assert.Equal(new[] { "1@-5-5:2/200 r1", "1@0-10:2/200 r1" }, sink.Lines());
        sink.Clear();

        op.Apply([Order.Of(1, 7)]);                // W = 6 ≥ 4: [-5,5) fires and, without lateness, is released
        Assert.Equal(new[] { "1@-5-5:2/200 r2F" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(2, 8)]);                // W = 7
        Tick(op, clock);                           // pane [5,10) changed for keys 1 and 2: windows [0,10) and [5,15)
        Assert.Equal(new[] { "1@0-10:3/300 r2", "1@5-15:1/100 r0", "2@0-10:1/100 r0", "2@5-15:1/100 r0" }, Sorted(sink));
        sink.Clear();

        op.Apply([Order.Of(1, 9)]);                // pane [5,10); W = 8
        op.Apply([Order.Of(1, 11)]);               // pane [10,15); W = 10 ≥ 9: [0,10) fires and is released
        Assert.Equal(new[] { "1@0-10:4/400 r3F", "2@0-10:1/100 r1F" }, Sorted(sink));
        sink.Clear();
        Tick(op, clock);                           // key 1 changed in both panes of [5,15): one row; key 2 did not change
        Assert.Equal(new[] { "1@10-20:1/100 r0", "1@5-15:3/300 r1" }, Sorted(sink));
        sink.Clear();

        op.EndOfInput();                           // [5,15) released, then [10,20)
        Assert.Equal(new[] { "1@5-15:3/300 r2F", "2@5-15:1/100 r1F", "1@10-20:1/100 r1F" },
            sink.Lines().Take(2).Order(StringComparer.Ordinal).Concat(sink.Lines().Skip(2)).ToArray());
        Assert.Equal(0, op.OpenBuckets);
        Assert.Equal(0, op.LateEvents);
    }

    [Fact]
    public void Lateness_FiredWindowsEmitTheirChanges_AtTicks_AndRevisionsContinueIntoTheFinalRow()
    {
        // Size 10, slide 5, bound 0, lateness 5: a window fires at W = end − 1 and is released at end − 1 + 5.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = Sliding(sink, clock, 10, 5, lateness: 5);
        op.Apply([Order.Of(1, 2)]);                // [-5,5), [0,10); W = 1
        op.Apply([Order.Of(1, 6)]);                // [0,10), [5,15); W = 5 ≥ 4: [-5,5) fires (released at 9), its change not yet emitted
        Assert.Empty(sink.Rows);
        Tick(op, clock);                           // open windows first, then the fired one
        Assert.Equal(new[] { "1@0-10:2/200 r0", "1@5-15:1/100 r0", "1@-5-5:1/100 r0" }, sink.Lines());
        sink.Clear();

        op.Apply([Order.Of(1, 3)]);                // allowed late for fired [-5,5) (4 + 5 > 5), counted in open [0,10)
        Tick(op, clock);
        Assert.Equal(new[] { "1@0-10:3/300 r1", "1@-5-5:2/200 r1" }, sink.Lines());
        sink.Clear();

        op.Apply([Order.Of(1, 11)]);               // W = 10: [0,10) fires at 9 (nothing pending), [-5,5) released at 9
        Assert.Equal(new[] { "1@-5-5:2/200 r2F" }, sink.Lines());
        sink.Clear();
        Tick(op, clock);
        Assert.Equal(new[] { "1@5-15:2/200 r1", "1@10-20:1/100 r0" }, sink.Lines());
        sink.Clear();

        op.Apply([Order.Of(1, 1)]);                // allowed late for fired [0,10) only (9 + 5 > 10); [-5,5) is released
        Assert.Equal(0, op.LateEvents);
        Tick(op, clock);
        Assert.Equal(new[] { "1@0-10:4/400 r2" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(1, -3)]);               // only in [-10,0) and [-5,5): both released — late
        Assert.Equal(1, op.LateEvents);

        op.EndOfInput();
        Assert.Equal(new[] { "1@0-10:4/400 r3F", "1@5-15:2/200 r2F", "1@10-20:1/100 r1F" }, sink.Lines());
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void AChangeJustBeforeFiring_IsEmittedByTheFiredWindowAtTheNextTick()
    {
        // Size 6, slide 4: panes of 2; windows [0,6), [4,10), ... Bound 0, lateness 10.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = Sliding(sink, clock, 6, 4, lateness: 10);
        op.Apply([Order.Of(7, 1)]);                // [-4,2) and [0,6); W = 0
        Tick(op, clock);
        Assert.Equal(new[] { "7@-4-2:1/100 r0", "7@0-6:1/100 r0" }, sink.Lines());
        sink.Clear();
        op.Apply([Order.Of(7, 5)]);                // [0,6) and [4,10); W = 4
        op.Apply([Order.Of(8, 6)]);                // [4,10) only; W = 5 ≥ 5: [0,6) fires with key 7's change pending
        Assert.Empty(sink.Rows);
        Tick(op, clock);
        Assert.Equal(new[] { "7@0-6:2/200 r1", "7@4-10:1/100 r0", "8@4-10:1/100 r0" }, Sorted(sink));
        sink.Clear();
        Tick(op, clock);
        Assert.Empty(sink.Rows);
        op.EndOfInput();
        Assert.Equal(new[] { "7@-4-2:1/100 r1F", "7@0-6:2/200 r2F", "7@4-10:1/100 r1F", "8@4-10:1/100 r1F" }, Sorted(sink));
    }

    public static TheoryData<int, long, long, long, string> Cases()
    {
        var data = new TheoryData<int, long, long, long, string>();
        var seed = 7_300;
        foreach (var (size, slide) in new (long, long)[] { (100, 10), (100, 30), (90, 60), (60, 45), (40, 1) })
            foreach (var lateness in new long[] { 0, 120 })
                foreach (var restore in new[] { "none", "full" })
                    data.Add(seed++, size, slide, lateness, restore);
        return data;
    }

    /// <summary>
    /// Random arrivals (most within the bound, some held back past it: allowed-late and late) in random
    /// batches with ticks at random points, against a model that keeps one entry per (key, window): its
    /// aggregate, its row count and whether it changed since its last row. The rows of each step (a batch
    /// or a tick) must be the model's; "full" restores a snapshot into a fresh operator halfway.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Sliding_Periodic_EqualsPerKeyWindowModel(int seed, long size, long slide, long lateness, string restore)
    {
        const long Bound = 20;
        const long Offset = 3;
        var rng = new Random(seed);
        var arrivals = Arrivals(rng, 3_000, Bound);
        var sink = new StepCollector();
        var clock = new ManualClock();
        var op = Sliding(sink, clock, size, slide, lateness, Bound, Offset);
        var model = new Model(size, slide, Offset, Bound, lateness);
        var restoreAt = restore == "full" ? arrivals.Length / 2 : -1;
        var ticks = 0;
        for (var i = 0; i < arrivals.Length;)
        {
            if (rng.Next(3) == 0)
            {
                sink.Step++;
                Tick(op, clock);
                model.Tick(sink.Step);
                ticks++;
                continue;
            }
            var n = Math.Min(arrivals.Length - i, rng.Next(1, 40));
            if (restoreAt >= 0 && i + n > restoreAt)
            {
                var snapshot = new ArrayBufferWriter<byte>();
                op.WriteSnapshot(snapshot);
                op = Sliding(sink, clock, size, slide, lateness, Bound, Offset);
                op.RestoreSnapshot(snapshot.WrittenSpan);
                restoreAt = -1;
            }
            sink.Step++;
            op.Apply(arrivals.AsSpan(i, n));
            for (var j = 0; j < n; j++) model.Event(arrivals[i + j], sink.Step);
            i += n;
        }
        sink.Step++;
        op.EndOfInput();
        model.EndOfInput(sink.Step);

        Assert.True(ticks > 50, $"seed {seed}: only {ticks} ticks");
        Assert.True(model.Late > 0 && (lateness == 0 || model.AllowedLate > 0), $"seed {seed}: the input held {model.Late} late and {model.AllowedLate} allowed-late events");
        Assert.True(model.Late == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, model {model.Late}");
        var expected = model.Rows.Order(StringComparer.Ordinal).ToList();
        var actual = sink.Lines.Order(StringComparer.Ordinal).ToList();
        var missing = expected.Except(actual).Take(5).ToList();
        var extra = actual.Except(expected).Take(5).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && expected.Count == actual.Count,
            $"seed {seed}: {actual.Count} rows, model {expected.Count}; missing [{string.Join(", ", missing)}], unexpected [{string.Join(", ", extra)}]");
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void SnapshotInTheMiddle_RestoredOperatorEmitsWhatTheUninterruptedOneEmits()
    {
        var arrivals = Arrivals(new Random(7_400), 2_000, 20);
        var uninterrupted = new RowCollector();
        var resumed = new RowCollector();
        var clockA = new ManualClock();
        var clockB = new ManualClock();
        var a = Sliding(uninterrupted, clockA, 100, 30, lateness: 50, ooo: 20);
        var b = Sliding(resumed, clockB, 100, 30, lateness: 50, ooo: 20);
        for (var i = 0; i < arrivals.Length; i += 25)
        {
            var n = Math.Min(25, arrivals.Length - i);
            if (i == 1_000)
            {
                // Pending changes (not ticked yet) and revision counts must both cross the snapshot.
                var snapshot = new ArrayBufferWriter<byte>();
                b.WriteSnapshot(snapshot);
                b = Sliding(resumed, clockB, 100, 30, lateness: 50, ooo: 20);
                b.RestoreSnapshot(snapshot.WrittenSpan);
            }
            a.Apply(arrivals.AsSpan(i, n));
            b.Apply(arrivals.AsSpan(i, n));
            if (i % 75 == 0)
            {
                Tick(a, clockA);
                Tick(b, clockB);
            }
        }
        a.EndOfInput();
        b.EndOfInput();
        Assert.True(uninterrupted.Rows.Count > 500, $"only {uninterrupted.Rows.Count} rows");
        Assert.Equal(uninterrupted.Lines().Order(StringComparer.Ordinal), resumed.Lines().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Version2Snapshot_StillRestores_AndAVersionFromALaterBuildIsRefusedClearly()
    {
        var sink = new RowCollector();
        var op = Sliding(sink, new ManualClock(), 10, 5);
        op.Apply([Order.Of(1, 3), Order.Of(2, 7)]);   // W = 6: [-5,5) fired and released
        var snapshot = new ArrayBufferWriter<byte>();
        op.WriteSnapshot(snapshot);
        sink.Clear();
        var v3 = snapshot.WrittenSpan.ToArray();
        Assert.Equal(3, BitConverter.ToUInt16(v3, 4));
        Assert.Equal(0, BitConverter.ToInt32(v3, 76));   // no tick yet: no revision buckets

        // The same state in version 2: a 76-byte header without the revision-bucket count.
        var v2 = new byte[v3.Length - 4];
        v3.AsSpan(0, 76).CopyTo(v2);
        v3.AsSpan(80, v3.Length - 84).CopyTo(v2.AsSpan(76));
        BitConverter.TryWriteBytes(v2.AsSpan(4), (ushort)2);
        BitConverter.TryWriteBytes(v2.AsSpan(v2.Length - 4), Kernel.Storage.Common.Crc32C.Compute(v2.AsSpan(0, v2.Length - 4)));
        var restored = new RowCollector();
        var again = Sliding(restored, new ManualClock(), 10, 5);
        again.RestoreSnapshot(v2);
        again.EndOfInput();
        op.EndOfInput();
        Assert.Equal(sink.Lines().Order(StringComparer.Ordinal), restored.Lines().Order(StringComparer.Ordinal));

        var v4 = v3.ToArray();
        BitConverter.TryWriteBytes(v4.AsSpan(4), (ushort)4);
        var ex = Assert.Throws<InvalidDataException>(() => Sliding(new RowCollector(), new ManualClock(), 10, 5).RestoreSnapshot(v4));
        Assert.Contains("version 4 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RevisionState_IsFreedWithTheWindows_OnAnEndlessStream()
    {
        var clock = new ManualClock();
        var op = Sliding(new CountingSink(), clock, 100, 10, lateness: 30, ooo: 5);
        var maxBuckets = 0;
        long maxEntries = 0;
        for (var t = 0L; t < 20_000; t += 7)
        {
            op.Apply([Order.Of(t % 13, t)]);
            if (t % 70 == 0) Tick(op, clock);
            maxBuckets = Math.Max(maxBuckets, op.OpenBuckets);
            maxEntries = Math.Max(maxEntries, op.StateEntries);
        }
        // Panes (≤ 100/10 + the bound's), fired windows inside 30 ms of lateness, revision buckets of ≤ 10 open windows.
        Assert.True(maxBuckets <= 40, $"{maxBuckets} buckets");
        Assert.True(maxEntries <= 40 * 13, $"{maxEntries} entries");
        op.EndOfInput();
        Assert.Equal(0, op.OpenBuckets);
    }

    [Fact]
    public void SlidingPeriodic_ZeroBytesPerEvent_AndPerTick_InSteadyState()
    {
        const long Day = 86_400_000;
        var rng = new Random(3);
        var orders = new Order[40 * 5_000];
        for (var i = 0; i < orders.Length; i++)
        {
            var t = i / 5_000 * Day + (long)(i % 5_000) * (Day / 5_000);
            if (rng.Next(20) == 0) t -= rng.Next(0, 600_000);
            orders[i] = Order.Of(rng.Next(200), t, rng.Next(1, 1_000), 1, i);
        }
        var clock = new ManualClock();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(new CountingSink(), null, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = Day, SlideMs = Day / 4 },
            MaxOutOfOrdernessMs = 600_000, AllowedLatenessMs = Day / 8, Emit = EmitMode.Periodic, EmitIntervalMs = Interval,
            Clock = clock, InitialCapacity = 256,
        });
        // Warm up on the first half (tables, pool, revision buckets), then measure a fresh tenth per attempt.
        var at = orders.Length / 2;
        var stretch = orders.Length / 10;
        for (var i = 0; i < at; i += 1_000)
        {
            op.Apply(orders.AsSpan(i, 1_000));
            Tick(op, clock);
        }
        var perEvent = Allocations.SteadyState(() =>
        {
            op.Apply(orders.AsSpan(at, stretch));
            at += stretch;
        });
        Assert.Equal(0, perEvent);
        var withTicks = Allocations.SteadyState(() =>
        {
            for (var i = 0; i < 4; i++)
            {
                op.Apply(orders.AsSpan(at, 1_000));
                at += 1_000;
                Tick(op, clock);
            }
        });
        Assert.Equal(0, withTicks);
    }

    /// <summary>Events in time order plus a delay: most within the bound, 1 in 12 held back up to 300 ms.</summary>
    private static Order[] Arrivals(Random rng, int n, long bound)
    {
        var events = new List<(long At, Order Order)>(n);
        long t = 500;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 4);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 500);   // unpaid ones are filtered out
            var order = Order.Of(rng.Next(6), t, price, rng.Next(1, 4), i);
            var delay = rng.Next(12) == 0 ? rng.Next(0, 300) : rng.Next(0, (int)bound + 1);
            events.Add((t + delay, order));
        }
        return events.OrderBy(e => e.At).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    /// <summary>Rows tagged with the step (batch or tick) that emitted them.</summary>
    private sealed class StepCollector : IRowSink<RevenueRow>
    {
        public int Step;
        public List<string> Lines { get; } = new();

        public void OnRow(in RevenueRow row, in RowRevision revision) =>
            Lines.Add(Line(Step, row.ProductId, row.WindowStartMs, row.WindowEndMs, row.Orders, row.RevenueCents, revision.Revision, revision.IsFinal));
    }

    private static string Line(int step, long key, long start, long end, long orders, long revenue, int revision, bool final) =>
        $"{step}|{key}@{start}-{end}:{orders}/{revenue} r{revision}{(final ? "F" : "")}";

    /// <summary>
    /// What Periodic must emit, per (key, window): the events counted in it (not behind
    /// end − 1 + lateness of the watermark before them), whether it changed since its last row, and how
    /// many rows it has had. A tick emits every live changed entry; the watermark reaching
    /// end − 1 + lateness emits the final row and forgets the window.
    /// </summary>
    private sealed class Model(long size, long slide, long offset, long bound, long lateness)
    {
        private readonly Dictionary<(long Key, long Start), Entry> _live = new();
        private long _maxSeen = long.MinValue;

        public List<string> Rows { get; } = new();
        public long Late { get; private set; }
        public long AllowedLate { get; private set; }

        private long Watermark => _maxSeen == long.MinValue ? long.MinValue : _maxSeen - bound - 1;

        public void Event(in Order o, int step)
        {
            var w = Watermark;
            _maxSeen = Math.Max(_maxSeen, o.TimestampMs);
            if (o.IsPaid)
            {
                var counted = false;
                var behind = false;
                // Every aligned start from well before the event to the event itself.
                var first = o.TimestampMs - size - slide;
                first -= ((first - offset) % slide + slide) % slide;
                for (var s = first; s <= o.TimestampMs; s += slide)
                {
                    if (o.TimestampMs < s || o.TimestampMs >= s + size) continue;
                    if (s + size - 1 + lateness <= w) continue;
                    if (s + size - 1 <= w) behind = true;
                    counted = true;
                    var e = _live.GetValueOrDefault((o.ProductId, s));
                    _live[(o.ProductId, s)] = e with { Orders = e.Orders + 1, Revenue = e.Revenue + o.RevenueCents, Changed = true };
                }
                if (!counted) Late++;
                else if (behind) AllowedLate++;
            }
            Release(Watermark, step);
        }

        public void Tick(int step)
        {
            foreach (var ((key, start), e) in _live.ToList())
            {
                if (!e.Changed) continue;
                Rows.Add(Line(step, key, start, start + size, e.Orders, e.Revenue, e.Rows, false));
                _live[(key, start)] = e with { Rows = e.Rows + 1, Changed = false };
            }
        }

        public void EndOfInput(int step) => Release(long.MaxValue, step);

        private void Release(long watermark, int step)
        {
            foreach (var ((key, start), e) in _live.ToList())
            {
                if (start + size - 1 + lateness > watermark) continue;
                Rows.Add(Line(step, key, start, start + size, e.Orders, e.Revenue, e.Rows, true));
                _live.Remove((key, start));
            }
        }

        private readonly record struct Entry(long Orders, long Revenue, int Rows, bool Changed);
    }
}

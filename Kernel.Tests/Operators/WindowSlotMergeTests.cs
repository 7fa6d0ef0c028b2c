using Kernel.Operators;
using Kernel.State;
using Kernel.Tests.Operators.Specs;
using Kernel.Tests.State;
using Kernel.Time;
using static Kernel.Tests.State.DirectLongTables;

namespace Kernel.Tests.Operators;

/// <summary>
/// The slot-by-slot merge of direct-mode window tables (sliding windows' two stacks) and the direct fold
/// loop's in-loop adds (a key's first event in a pane), against independent models: a LINQ GROUP BY over the
/// events that were not late when they arrived, and a Dictionary merge.
/// </summary>
public sealed class WindowSlotMergeTests
{
    private const long Bound = 40;

    public static TheoryData<int, WindowKind, EmitMode, long, int> Cases()
    {
        var data = new TheoryData<int, WindowKind, EmitMode, long, int>();
        var seed = 7_000;
        foreach (var kind in new[] { WindowKind.Sliding, WindowKind.Tumbling })
            foreach (var emit in new[] { EmitMode.Final, EmitMode.OnWindowClose })
                foreach (var lateness in new[] { 0L, 150L })
                    foreach (var keys in new[] { 6, 300 })
                        data.Add(seed++, kind, emit, lateness, keys);
        return data;
    }

    /// <summary>
    /// Many short windows (size 400, slide 100 for sliding: four panes a window, a fire every 100 ms), keys
    /// dense so the tables stay direct until, in the second half, a far key makes some panes hashed (then
    /// merges mix direct and hashed tables), out-of-order, late and allowed-late events, batches of random
    /// length: the latest row per (key, window) equals a GROUP BY over the events not late on arrival.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void ManyWindows_EqualGroupByOfNonLateEvents(int seed, WindowKind kind, EmitMode emit, long lateness, int keys)
    {
        var rng = new Random(seed);
        const long size = 400, offset = 3;
        var slide = kind == WindowKind.Sliding ? 100L : size;
        var events = Arrivals(rng, 30_000, keys);
        var sink = new RowCollector();
        var late = new LateCollector();
        var op = new WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec>(sink, late, new WindowOptions
        {
            Window = new WindowSpec { Kind = kind, SizeMs = size, SlideMs = slide, OffsetMs = offset },
            MaxOutOfOrdernessMs = Bound, AllowedLatenessMs = lateness, Emit = emit, Clock = new ManualClock(),
            InitialCapacity = keys,
        });
        for (var i = 0; i < events.Length;)
        {
            var n = Math.Min(events.Length - i, rng.Next(1, 900));
            op.Apply(events.AsSpan(i, n));
            i += n;
        }
        op.EndOfInput();

        // The watermark an event meets is that of the largest time before it; it counts in a window unless
        // the watermark has reached the window's end − 1 + lateness.
        var watermarks = new long[events.Length];
        var max = long.MinValue;
        for (var i = 0; i < events.Length; i++)
        {
            watermarks[i] = max == long.MinValue ? long.MinValue : max - Bound - 1;
            max = Math.Max(max, events[i].TimestampMs);
        }
        var placed = events
            .Select((o, i) => (Order: o, W: watermarks[i]))
            .Where(x => x.Order.IsPaid)
            .Select(x => (x.Order, x.W, Starts: WindowStarts(x.Order.TimestampMs, size, slide, offset).Where(s => s + size - 1 + lateness > x.W).ToArray()))
            .ToArray();
        var expected = placed
            .SelectMany(x => x.Starts.Select(s => (Key: (x.Order.ProductId, s, s + size), x.Order)))
            .GroupBy(p => p.Key, p => p.Order)
            .ToDictionary(g => g.Key, g => (g.Sum(o => o.RevenueCents), (long)g.Count(), g.Min(o => o.PriceCents), g.Max(o => o.PriceCents)));
        var expectedLate = placed.LongCount(x => x.Starts.Length == 0);

        Assert.True(expectedLate == op.LateEvents, $"seed {seed}: late events {op.LateEvents}, model {expectedLate}");
        Assert.True(expectedLate > 0, $"seed {seed}: the input produced no late events");
        var actual = sink.Latest();
        Assert.True(expected.Count == actual.Count, $"seed {seed}: {actual.Count} (key, window) rows, model {expected.Count}");
        foreach (var (k, e) in expected)
        {
            Assert.True(actual.TryGetValue(k, out var row), $"seed {seed}: missing row {k}");
            Assert.True(e == (row.RevenueCents, row.Orders, row.Cheapest, row.Dearest), $"seed {seed}: row {k}: {row} vs model {e}");
        }
        if (emit == EmitMode.Final) Assert.True(sink.Rows.Count == expected.Count, $"seed {seed}: Final emits once per (key, window)");
        Assert.Equal(0, op.OpenBuckets);
        Assert.Equal(0, op.StateEntries);
    }

    private static IEnumerable<long> WindowStarts(long t, long size, long slide, long offset)
    {
        var last = t - (((t - offset) % slide) + slide) % slide;
        for (var s = last; s > t - size; s -= slide) yield return s;
    }

    private static Order[] Arrivals(Random rng, int n, int keys)
    {
        var events = new List<(long SortKey, Order Order)>(n);
        long t = 500;
        for (var i = 0; i < n; i++)
        {
            t += rng.Next(0, 2);
            var price = rng.Next(10) == 0 ? 0 : rng.Next(1, 1_000);
            long key = rng.Next(keys);
            // Second half: now and then a far key, which takes its pane's table out of direct mode.
            if (i > n / 2 && rng.Next(2_000) == 0) key = 1_000_000_000L + rng.Next(3);
            var delay = rng.Next(1_000) < 3 ? rng.Next(0, 700) : rng.Next(0, (int)Bound + 1);
            events.Add((t + delay, Order.Of(key, t, price, rng.Next(1, 5), i)));
        }
        return events.OrderBy(e => e.SortKey).ThenBy(e => e.Order.OrderId).Select(e => e.Order).ToArray();
    }

    private readonly struct SumMerge : ISlotMerge<long>
    {
        public static void Merge(ref long into, in long from, bool added) => into = (added ? 1_000_000 : into) + from;
    }

    /// <summary>
    /// Random dense tables, the target smaller, equal or larger than the source: the merge equals a
    /// Dictionary merge (a new key initialized, as the merge's <c>added</c> flag says), the count is right,
    /// and every merged key is changed for the next incremental snapshot, listed or not.
    /// </summary>
    [Fact]
    public void TryMergeDirect_EqualsDictionaryMerge()
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var rng = new Random(seed);
            var into = new StateTable<long, long, DirectLongHasher>("Tests.Merge", 1, rng.Next(1, 3_000));
            var from = new StateTable<long, long, DirectLongHasher>("Tests.Merge", 1, rng.Next(1, 3_000));
            var model = new Dictionary<long, long>();
            var fromModel = new Dictionary<long, long>();
            // Enough keys that both stay direct (at most 8 slots per key past 1,024); an empty source now and then.
            for (var i = rng.Next(0, 2_000); i > 0; i--)
            {
                long k = rng.Next(0, 1_000);
                into.GetValueRefOrAdd(k, out _) += k + 1;
                model[k] = model.GetValueOrDefault(k) + k + 1;
            }
            for (var i = seed % 10 == 0 ? 0 : rng.Next(300, 2_000); i > 0; i--)
            {
                long k = rng.Next(0, 1_500);
                from.GetValueRefOrAdd(k, out _) += 2 * k + 1;
                fromModel[k] = fromModel.GetValueOrDefault(k) + 2 * k + 1;
            }
            if (rng.Next(2) == 0) into.MarkClean();
            Assert.True(into.IsDirect && from.IsDirect, $"seed {seed}: tables not direct");
            Assert.True(into.TryMergeDirect<SumMerge>(from), $"seed {seed}: merge refused");
            foreach (var (k, v) in fromModel) model[k] = (model.TryGetValue(k, out var old) ? old : 1_000_000) + v;
            Assert.True(model.Count == into.Count, $"seed {seed}: count {into.Count}, model {model.Count}");
            foreach (var (k, v) in model)
                Assert.True(into.TryGetValue(k, out var got) && got == v, $"seed {seed}: key {k}: {got} vs {v}");
            var changed = new HashSet<long>();
            foreach (ref var e in into.ChangedEntries) changed.Add(e.Key);
            Assert.True(changed.IsSupersetOf(fromModel.Keys), $"seed {seed}: merged keys not all changed");
            Assert.True(changed.Count == into.ChangedCount, $"seed {seed}: ChangedCount {into.ChangedCount}, enumerated {changed.Count}");
        }
    }

    [Fact]
    public void TryMergeDirect_RefusesHashedTables()
    {
        var direct = new StateTable<long, long, DirectLongHasher>("Tests.Merge", 1, 16);
        var hashed = new StateTable<long, long, DirectLongHasher>("Tests.Merge", 1, 16);
        direct.GetValueRefOrAdd(3, out _) = 5;
        hashed.GetValueRefOrAdd(3, out _) = 7;
        hashed.GetValueRefOrAdd(1L << 40, out _) = 9;   // far key: hashed
        Assert.False(hashed.IsDirect);
        Assert.False(direct.TryMergeDirect<SumMerge>(hashed));
        Assert.False(hashed.TryMergeDirect<SumMerge>(direct));
        Assert.True(direct.TryGetValue(3, out var d) && d == 5 && direct.Count == 1);
        Assert.True(hashed.TryGetValue(3, out var h) && h == 7 && hashed.Count == 2);
    }

    /// <summary>Keys a <see cref="StateTable{TKey, TState, THasher}.DirectView"/> adds count once committed and show as changed.</summary>
    [Fact]
    public void WindowView_Adds_CountAndAreChanged()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.View", 1, 100);
        table.GetValueRefOrAdd(5, out _) = 1;
        table.MarkClean();
        Assert.True(table.TryGetDirectView(out var view));
        var adds = 0;
        foreach (var k in new long[] { 7, 9, 5, 7, 100_000 })
        {
            var index = StateTable<long, long, DirectLongHasher>.DirectIndexOf(k);
            if (view.IsHit(index)) view.StateAt(index) += 10;
            else if (view.TryAdd(index, k))
            {
                view.StateAt(index) = 100;
                adds++;
            }
        }
        table.CommitWindowAdds(adds);
        // 5 is clean (not a hit, not free), 100,000 is outside the slots: both left to the general path.
        Assert.Equal(2, adds);
        Assert.Equal(3, table.Count);
        Assert.True(table.TryGetValue(7, out var seven) && seven == 110);
        Assert.True(table.TryGetValue(9, out var nine) && nine == 100);
        Assert.True(table.TryGetValue(5, out var five) && five == 1);
        var changed = new HashSet<long>();
        foreach (ref var e in table.ChangedEntries) changed.Add(e.Key);
        Assert.True(changed.SetEquals([7L, 9L]), $"changed: {string.Join(",", changed)}");
        Assert.Equal(2, table.ChangedCount);
    }

    /// <summary>
    /// A view that only folds into held keys keeps the dirty list (an incremental capture then reads the
    /// list, not every control byte of a large window); a view that added keys switches the table to the scan.
    /// </summary>
    [Fact]
    public void WindowView_KeepsTheDirtyList_UntilItAdds()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.View", 1, 1_000);
        for (long k = 0; k < 1_000; k++) table.GetValueRefOrAdd(k, out _) = k;
        table.MarkClean();
        table.GetValueRefOrAdd(3, out _) += 1;   // 3 dirty, through the general path: listed
        Assert.True(table.DirtyListed);
        Assert.True(table.TryGetDirectView(out var view));
        var index = StateTable<long, long, DirectLongHasher>.DirectIndexOf(3);
        Assert.True(view.IsHit(index));
        view.StateAt(index) += 1;
        table.CommitWindowAdds(0);
        Assert.True(table.DirtyListed, "a view that added nothing must leave the dirty list in use");
        Assert.Equal(1, table.ChangedCount);

        var fresh = new StateTable<long, long, DirectLongHasher>("Tests.View", 1, 100);
        Assert.True(fresh.TryGetDirectView(out var freshView));
        var at = StateTable<long, long, DirectLongHasher>.DirectIndexOf(42);
        Assert.True(freshView.TryAdd(at, 42));
        fresh.CommitWindowAdds(1);
        Assert.False(fresh.DirtyListed, "added keys are not in the list: the table must scan");
        Assert.Equal(1, fresh.ChangedCount);
    }
    /// <summary>
    /// A priming table (a windowed aggregator's pooled tables): the primed slots hold key and first state, so
    /// a view claims a new key and a held one alike and counts the adds; a clean key is refused; a reuse primes
    /// again the slots the last keys took (their states are not carried over), and removal, growth and Clear
    /// lower the primed range instead of leaving a slot that holds no primed state inside it.
    /// </summary>
    [Fact]
    public void PrimedView_ClaimsNewAndHeldKeys_AndReusePrimesAgain()
    {
        var plain = new StateTable<long, long, DirectLongHasher>("Tests.Primed", 1, 100);
        Assert.True(plain.TryGetDirectView(out var plainView));
        Assert.Equal(0UL, plainView.Primed);

        var table = new StateTable<long, long, DirectLongHasher>("Tests.Primed", 1, 100);
        table.EnablePriming(1_000, 50);
        Assert.Equal(50UL, View(table).Primed);
        var adds = 0;
        var view = View(table);
        foreach (var k in new long[] { 3, 7, 3, 49 })
        {
            Assert.True(view.TryClaimPrimed((ulong)k, ref adds), $"key {k}");
            view.StateAt((ulong)k) += 1;
        }
        table.CommitWindowAdds(adds);
        Assert.Equal(3, adds);
        Assert.Equal(3, table.Count);
        Assert.Equal([(3L, 1_002L), (7L, 1_001L), (49L, 1_001L)], Entries(table));
        Assert.Equal(3, table.ChangedCount);

        table.MarkClean();
        adds = 0;
        Assert.False(View(table).TryClaimPrimed(3, ref adds), "a clean key goes through the general path (listed dirty)");
        Assert.Equal(0, adds);

        table.GetValueRefOrAdd(120, out _) = 5;   // beyond the primed range: the general add
        table.ClearForReuse();
        table.PrimeDeferred();   // as the aggregator's Rent does
        Assert.Equal(0, table.Count);
        Assert.Equal(121UL, View(table).Primed);   // the slots up to the last key taken
        view = View(table);
        adds = 0;
        foreach (var k in new long[] { 3, 120, 80 })
        {
            Assert.True(view.TryClaimPrimed((ulong)k, ref adds), $"key {k} after reuse");
            view.StateAt((ulong)k) += 2;
        }
        table.CommitWindowAdds(adds);
        Assert.Equal([(3L, 1_002L), (80L, 1_002L), (120L, 1_002L)], Entries(table));

        Assert.True(table.Remove(80));
        Assert.Equal(80UL, View(table).Primed);   // slot 80 was zeroed: no longer primed
        table.GetValueRefOrAdd(900, out _) = 1;   // outside the slots: the direct table grows into new arrays
        Assert.Equal(0UL, View(table).Primed);
        table.ClearForReuse();
        table.PrimeDeferred();
        Assert.True(View(table).Primed > 0, "a reuse primes the new arrays");
        table.GetValueRefOrAdd(1, out _) = 1;
        table.Clear();   // zeroes the entries
        Assert.Equal(0UL, View(table).Primed);

        // Keys sparse in a large direct table: a reuse does not prime the whole range they spread over.
        var sparse = new StateTable<long, long, DirectLongHasher>("Tests.Primed", 1, 10_000);
        sparse.EnablePriming(1_000, 100);
        sparse.GetValueRefOrAdd(1, out _) = 1;
        sparse.GetValueRefOrAdd(9_000, out _) = 1;
        Assert.True(sparse.IsDirect);
        sparse.ClearForReuse();
        sparse.PrimeDeferred();
        Assert.Equal(0UL, View(sparse).Primed);
    }

    /// <summary>
    /// A loop that claims primed slots without counting (<c>TryPeekPrimed</c>, fold, <c>MarkPrimedDirty</c>)
    /// leaves the count to <c>CountPrimedHeld</c> before and after: the difference is the keys it added
    /// (held and repeated keys not counted again), and a clean key is refused without a write.
    /// </summary>
    [Fact]
    public void UncountedPrimedClaims_CountedByThePrimedHeldDifference()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.Primed", 1, 100);
        table.EnablePriming(1_000, 64);
        table.GetValueRefOrAdd(5, out _) = 1;   // held before the loop
        var before = table.CountPrimedHeld();
        Assert.Equal(1, before);
        var view = View(table);
        foreach (var k in new ulong[] { 5, 9, 9, 63, 0, 5 })
        {
            Assert.True(view.TryPeekPrimed(k), $"key {k}");
            view.StateAt(k) += 1;
            view.MarkPrimedDirty(k);
        }
        var added = table.CountPrimedHeld() - before;
        Assert.Equal(3, added);
        table.CommitWindowAdds(added);
        Assert.Equal(4, table.Count);
        Assert.Equal([(0L, 1_001L), (5L, 3L), (9L, 1_002L), (63L, 1_001L)], Entries(table));
        table.MarkClean();
        Assert.False(View(table).TryPeekPrimed(9), "a clean key goes through the general path (listed dirty)");
        Assert.Equal(0, table.ChangedCount);
    }
}

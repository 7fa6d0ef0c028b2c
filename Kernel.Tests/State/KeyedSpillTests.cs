using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using static Kernel.Tests.Infrastructure.SalesTotals;
using Totals = Kernel.Operators.KeyedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesTotalRow, Kernel.Tests.Operators.Specs.SalesTotalSpec>;

namespace Kernel.Tests.State;

/// <summary>
/// State larger than memory for the unwindowed keyed operator (docs/state-and-memory.md): with a tiny
/// budget of keys, checkpointed incrementally, idle keys spill to the LSM store at barriers and come back
/// for their next event, lookups and row scans. Everything it answers and restores must equal an
/// operator without a budget fed the same input, and a GROUP BY computed here from the events.
/// </summary>
public sealed class KeyedSpillTests : IDisposable
{
    private readonly TempDirectory _dir = new("keyed-spill");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, false, 1)]
    [InlineData(2, false, 40)]
    [InlineData(3, true, 1)]
    [InlineData(4, true, 200)]
    public async Task TinyBudget_SameRowsAndLookupsAsNoBudget_AndRestoreWithSpilledKeysGoesOnIdentically(int seed, bool sparse, int budget)
    {
        var what = $"seed {seed} (sparse {sparse}, budget {budget})";
        var events = Events(new Random(seed), 30_000, sparse);
        var (participant, op, store, coordinator) = Spilling($"run-{seed}", budget);
        var reference = new Totals(16);
        var rng = new Random(seed * 17);
        long maxSpilled = 0;
        var restoresChecked = 0;
        for (var at = 0; at < events.Length;)
        {
            var n = Math.Min(rng.Next(1, 1_200), events.Length - at);
            op.Apply(events.AsSpan(at, n));
            reference.Apply(events.AsSpan(at, n));
            at += n;
            var result = await CheckpointAsync(coordinator, participant);
            maxSpilled = Math.Max(maxSpilled, op.SpilledEntries);
            Assert.True(reference.Count == op.Count + op.SpilledEntries, $"{what}: {op.Count} keys in memory + {op.SpilledEntries} spilled, the reference holds {reference.Count}");
            // Lookups of keys in memory, spilled and unknown answer as the reference does.
            for (var q = 0; q < 20; q++)
            {
                var key = events[rng.Next(at)].ProductId + (q == 0 ? 1 : 0);
                Assert.Equal(reference.TryGet(key, out var expected), op.TryGet(key, out var actual));
                Assert.True(expected == actual, $"{what}: lookup of {key}: {actual} vs {expected}");
            }
            if (rng.Next(4) == 0) Assert.True(Rows(reference).SequenceEqual(Rows(op)), $"{what}: rows at {at} differ from the reference's");
            if (op.SpilledEntries > 0 && rng.Next(5) == 0 && restoresChecked < 3)
            {
                // A new process restores this checkpoint with the same budget (the rest stays in the
                // store), replays the rest of the input with checkpoints, and ends at the GROUP BY.
                restoresChecked++;
                var (again, restored, _, next) = Spilling($"run-{seed}-{result.CheckpointId}", budget);
                await RestoreAsync(again, store, result.CheckpointId);
                Assert.True(restored.Count <= budget && restored.SpilledEntries == reference.Count - restored.Count, $"{what}: restored {restored.Count} keys in memory and {restored.SpilledEntries} in the store");
                Assert.True(GroupBy(events.AsSpan(0, at)).SequenceEqual(Rows(restored)), $"{what}: the restored rows differ from the GROUP BY at checkpoint {result.CheckpointId}");
                for (var tail = at; tail < events.Length;)
                {
                    var m = Math.Min(2_000, events.Length - tail);
                    restored.Apply(events.AsSpan(tail, m));
                    tail += m;
                    await CheckpointAsync(next, again);
                }
                Assert.True(GroupBy(events).SequenceEqual(Rows(restored)), $"{what}: rows after the restore and replay differ from the uninterrupted input's");
                again.CloseStore();
            }
        }
        Assert.True(maxSpilled > 0, $"{what}: nothing spilled");
        Assert.True(restoresChecked > 0, $"{what}: no restore with spilled keys checked");
        Assert.True(op.SpillReads > 0, $"{what}: no spilled key came back");
        Assert.True(GroupBy(events).SequenceEqual(Rows(op)), $"{what}: the final rows differ from the GROUP BY");
        Assert.Equal(events.Length, op.EventsSeen);

        // A savepoint of the last checkpoint (keys spilled at its barrier) holds every key.
        Assert.True(op.SpilledEntries > 0 || budget >= reference.Count, $"{what}: nothing spilled at the end");
        var last = await CheckpointAsync(coordinator, participant);
        var (fresh, fromSavepoint) = CheckpointRig<Totals>.Bound(null, p => new Totals(16, p));
        await SavepointRoundTripAsync(store, last.CheckpointId, participant, Path.Combine(_dir.Path, $"sp-{seed}"), fresh);
        Assert.True(GroupBy(events).SequenceEqual(Rows(fromSavepoint)), $"{what}: the savepoint's rows differ from the GROUP BY");

        // A full snapshot is written from memory: the spilled keys come back for it.
        var snapshot = FullSnapshot(op);
        Assert.Equal(0, op.SpilledEntries);
        var copy = new Totals(16);
        ((ISnapshotOperator)copy).RestoreSnapshot(snapshot);
        Assert.True(GroupBy(events).SequenceEqual(Rows(copy)), $"{what}: the full snapshot's rows differ from the GROUP BY");
        participant.CloseStore();
    }

    [Fact]
    public async Task HotKeys_NeverTouchTheStore_AndNeitherTheyNorFaultInsAllocate()
    {
        var (participant, op, _, coordinator) = Spilling("live", budget: 100, initialCapacity: 4_096);
        var fill = new Order[3_000];
        for (var i = 0; i < fill.Length; i++) fill[i] = Order.Of(i, 0, 10 + i);
        op.Apply(fill);
        await CheckpointAsync(coordinator, participant);   // full: every key in the store
        var hot = new Order[4_096];
        for (var i = 0; i < hot.Length; i++) hot[i] = Order.Of(i % 10, 0, 1 + i);
        op.Apply(hot);
        await CheckpointAsync(coordinator, participant);   // over budget: the idle keys leave
        Assert.Equal(10, op.Count);
        Assert.Equal(2_990, op.SpilledEntries);

        var reads = op.SpillReads;
        Assert.Equal(0, Allocations.SteadyState(() => op.Apply(hot)));
        Assert.Equal(reads, op.SpillReads);   // hot keys: not one store read

        // Events of spilled keys read them back on the new-key path: no allocation either (the table has
        // room and the store's blocks are cached).
        var cold = new Order[200];
        var round = 0;
        void Prepare()
        {
            // Two barriers: the first writes the keys that came back, the second drops them again.
            CheckpointAsync(coordinator, participant).GetAwaiter().GetResult();
            CheckpointAsync(coordinator, participant).GetAwaiter().GetResult();
            for (var i = 0; i < cold.Length; i++) cold[i] = Order.Of(100 + (round * 200 + i) % 2_800, 0, 3);
            round++;
            // The store's block cache is the store's business: warm it with lookups (which leave memory
            // as it is), so the measure sees only the operator's fault-in path.
            foreach (var e in cold) Assert.True(op.TryGet(e.ProductId, out _));
        }
        Assert.Equal(0, Allocations.SteadyState(Prepare, () => op.Apply(cold)));
        Assert.True(op.SpillReads >= reads + 200, $"{op.SpillReads - reads} store reads");
        participant.CloseStore();
    }

    [Fact]
    public void Options_AreValidated_WithMessagesThatSayWhatIsWrong()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Totals(new KeyedAggregatorOptions { StateBudgetEntries = -1 }));
        Assert.Contains("StateBudgetEntries must not be negative (0: no budget)", negative.Message, StringComparison.Ordinal);
        var noStore = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Totals(new KeyedAggregatorOptions { StateBudgetEntries = 10 }));
        Assert.Contains("needs the state of aggregation 'Tests.SalesTotals' in an LSM store", noStore.Message, StringComparison.Ordinal);
        var notParticipant = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Totals(new KeyedAggregatorOptions { StateBudgetEntries = 10, Control = new Listener() }));
        Assert.Contains("set Control to the OperatorParticipant", notParticipant.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new Totals((KeyedAggregatorOptions)null!));
        var op = new Totals(new KeyedAggregatorOptions { StateBudgetEntries = 10, Control = new OperatorParticipant("p") });
        Assert.Equal(10, op.StateBudgetEntries);
        Assert.Equal(0, op.SpilledEntries);
    }

    private CheckpointRig<Totals> Spilling(string name, int budget, int initialCapacity = 16) =>
        CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, "live-" + name), new CheckpointStore(Path.Combine(_dir.Path, "data-" + name)),
            participant => new Totals(new KeyedAggregatorOptions { InitialCapacity = initialCapacity, Control = participant, StateBudgetEntries = budget }));

    private sealed class Listener : IControlListener
    {
        public void OnBarrier(long checkpointId, long sequence)
        {
        }

        public void OnEndOfInput(int sourceId, long sequence)
        {
        }
    }
}

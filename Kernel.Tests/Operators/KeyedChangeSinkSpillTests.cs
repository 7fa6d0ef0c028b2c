using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using Xunit.Abstractions;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using static Kernel.Tests.Infrastructure.SalesTotals;
using Totals = Kernel.Operators.KeyedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesTotalRow, Kernel.Tests.Operators.Specs.SalesTotalSpec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// A change sink on an operator checkpointed incrementally whose idle keys spill to the LSM store: the
/// sink's flushed-but-dirty keys must stay in memory until the checkpoint writes them (they are not
/// clean), spilled keys that come back are not re-sent, and the sink's last row per key ends at the
/// GROUP BY computed here from the events.
/// </summary>
public sealed class KeyedChangeSinkSpillTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new("keyed-change-spill");

    public void Dispose() => _dir.Dispose();

    private sealed class LastRows : IRowSink<SalesTotalRow>
    {
        public Dictionary<long, SalesTotalRow> Last { get; } = new();

        public List<long> Batch { get; } = new();

        public void OnRow(in SalesTotalRow row, in RowRevision revision)
        {
            Last[row.ProductId] = row;
            Batch.Add(row.ProductId);
        }
    }

    [Theory]
    [InlineData(1, false, 1)]
    [InlineData(2, true, 40)]
    public async Task TinyBudget_WithASink_SendsEachBatchsKeysOnce_AndLosesNothing(int seed, bool sparse, int budget)
    {
        output.WriteLine($"seed {seed}");
        var what = $"seed {seed} (sparse {sparse}, budget {budget})";
        var events = Events(new Random(seed), 20_000, sparse);
        var sink = new LastRows();
        var (participant, op, _, coordinator) = CheckpointRig<Totals>.Open(Path.Combine(_dir.Path, $"live-{seed}"), new CheckpointStore(Path.Combine(_dir.Path, $"data-{seed}")),
            p => new Totals(new KeyedAggregatorOptions { InitialCapacity = 16, Control = p, StateBudgetEntries = budget }, sink));
        var rng = new Random(seed * 31);
        long maxSpilled = 0;
        for (var at = 0; at < events.Length;)
        {
            var n = Math.Min(rng.Next(1, 1_200), events.Length - at);
            sink.Batch.Clear();
            op.Apply(events.AsSpan(at, n));
            var changed = events.AsSpan(at, n).ToArray().Select(e => e.ProductId).Distinct().Order().ToArray();
            Assert.True(changed.SequenceEqual(sink.Batch.Order()), $"{what}: at {at}, {sink.Batch.Count} rows sent for {changed.Length} keys changed");
            at += n;
            sink.Batch.Clear();
            await CheckpointAsync(coordinator, participant);
            Assert.True(sink.Batch.Count == 0, $"{what}: a checkpoint sent {sink.Batch.Count} rows");
            maxSpilled = Math.Max(maxSpilled, op.SpilledEntries);
        }
        Assert.True(maxSpilled > 0, $"{what}: nothing spilled");
        Assert.True(GroupBy(events).SequenceEqual(Rows(op)), $"{what}: the operator's rows differ from the GROUP BY");
        Assert.True(GroupBy(events).SequenceEqual(sink.Last.Values.OrderBy(r => r.ProductId)), $"{what}: the sink's last rows differ from the GROUP BY");
        participant.CloseStore();
    }
}

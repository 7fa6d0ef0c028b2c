using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;
using Kernel.Tests.Infrastructure;
using Reach = Kernel.Operators.KeyedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.CustomerReach.State,
    Kernel.Tests.Generators.Declarations.CustomerReach, Kernel.Tests.Generators.Declarations.CustomerReach.Spec>;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// An unwindowed aggregation with sketches keeps full snapshots even when its participant is in
/// incremental mode (its side state is not in the table), restores rows equal to the checkpointed
/// operator's, and refuses a state budget.
/// </summary>
public sealed class KeyedSketchCheckpointTests : IDisposable
{
    private readonly TempDirectory _dir = new("keyed-sketch");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task SketchSpec_KeepsFullSnapshots_ThatRestoreTheSameRows()
    {
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var (participant, op, coordinator) = CheckpointRig<Reach>.Open(Path.Combine(_dir.Path, "live"), store, p => new Reach(16, p), name: "reach");
        Assert.False(participant.IsIncremental);
        var rng = new Random(21);
        var orders = new Order[5_000];
        for (var i = 0; i < orders.Length; i++)
        {
            var product = rng.Next(1, 40);
            orders[i] = new Order { OrderId = i, ProductId = product, CustomerId = product * 1_000L + rng.Next(300), PriceCents = 100, Quantity = 1, TimestampMs = i };
        }
        op.Apply(orders);
        var result = await CheckpointHarness.CheckpointAsync(coordinator, participant);
        var directory = store.GetCheckpointDirectory(result.CheckpointId);
        Assert.True(File.Exists(Path.Combine(directory, "reach.state")));
        Assert.False(File.Exists(Path.Combine(directory, "reach.meta")));

        var (again, restored) = CheckpointRig<Reach>.Bound(null, p => new Reach(16, p), name: "reach");
        await CheckpointHarness.RestoreAsync(again, store, result.CheckpointId);
        Assert.Equal(op.Count, restored.Count);
        Assert.Equal(op.EventsSeen, restored.EventsSeen);
        foreach (var row in op.GetRows())
        {
            Assert.True(restored.TryGet(row.ProductId, out var back), $"product {row.ProductId} missing after the restore");
            Assert.Equal((row.Customers, row.Orders), (back.Customers, back.Orders));
        }
        participant.CloseStore();
    }

    [Fact]
    public void SketchSpec_RefusesAStateBudget()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            new Reach(new KeyedAggregatorOptions { StateBudgetEntries = 10, Control = new OperatorParticipant("p") }));
        Assert.Contains("StateBudgetEntries is not supported for aggregation", e.Message, StringComparison.Ordinal);
        Assert.Contains("sketches keep full snapshots", e.Message, StringComparison.Ordinal);
    }
}

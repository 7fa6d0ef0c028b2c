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
/// docs/state-and-memory.md: at a barrier, entries of fired windows leave memory oldest window first until the entries
/// in memory are within the budget; open windows stay (session 24's audit). The other spill tests check that the rows
/// and totals are right whatever leaves, not which windows leave or how many.
/// </summary>
public sealed class SpillOrderS24Tests : IDisposable
{
    private readonly TempDirectory _dir = new("spill-order");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task AtABarrier_OldestFiredWindowsLeaveFirst_UntilWithinTheBudget_OpenWindowsStay()
    {
        var (participant, op, coordinator) = CheckpointRig<Sales>.Open(Path.Combine(_dir.Path, "live"), new CheckpointStore(Path.Combine(_dir.Path, "data")),
            p => new Sales(new Discard(), null, new WindowOptions
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

    private sealed class Discard : IRowSink<SalesWindowRow>
    {
        public void OnRow(in SalesWindowRow row, in RowRevision revision) { }
    }
}

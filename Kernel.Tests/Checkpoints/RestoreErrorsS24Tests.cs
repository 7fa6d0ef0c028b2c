using Kernel.Checkpoints;
using Kernel.Operators;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Operators.Specs;
using static Kernel.Tests.Infrastructure.CheckpointHarness;
using static Kernel.Tests.Infrastructure.SalesTotals;
using Totals = Kernel.Operators.KeyedAggregator<Kernel.Tests.Operators.Specs.Order, long, Kernel.Tests.Operators.Specs.SalesState, Kernel.Tests.Operators.Specs.SalesTotalRow, Kernel.Tests.Operators.Specs.SalesTotalSpec>;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// docs/checkpoints.md: restore refuses a state fingerprint that differs (the state schema changed) or damaged bytes,
/// naming the aggregation, the file and the offset, for a full (not incremental) checkpoint's state file.
/// </summary>
public sealed class RestoreErrorsS24Tests : IDisposable
{
    private readonly TempDirectory _dir = new("restore-errors");

    public void Dispose() => _dir.Dispose();

    private async Task<(CheckpointStore Store, long Id, Totals Operator)> CheckpointOfSomeSales()
    {
        var store = new CheckpointStore(Path.Combine(_dir.Path, "data"));
        var (participant, op, coordinator) = CheckpointRig<Totals>.Open(null, store, p => new Totals(16, p));
        Assert.False(participant.IsIncremental);
        op.Apply(Events(new Random(24), 3_000, sparse: false));
        var result = await CheckpointAsync(coordinator, participant);
        return (store, result.CheckpointId, op);
    }

    [Fact]
    public async Task DamagedStateFile_IsRejected_NamingTheFileAndTheOffset_AndTheOperatorIsLeftAsItWas()
    {
        var (store, id, _) = await CheckpointOfSomeSales();
        var path = Path.Combine(store.GetCheckpointDirectory(id), "sales.state");
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(path, bytes);
        var (fresh, restored) = CheckpointRig<Totals>.Bound(null, p => new Totals(16, p));
        restored.Apply([Order.Of(1, 0, 10)]);

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () => await RestoreAsync(fresh, store, id));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("offset", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, restored.Count);   // rejected before anything changed
    }

    [Fact]
    public async Task ADifferentStateFingerprint_IsRefused_NamingTheAggregationAndBothFingerprints()
    {
        var (store, id, totals) = await CheckpointOfSomeSales();
        ISnapshotOperator op = totals;
        var recorded = op.StateFingerprint ^ 0x5A;
        var manifest = new CheckpointManifest
        {
            CheckpointId = id,
            RingSequence = 0,
            SchemaFingerprints = new Dictionary<string, ulong> { [op.AggregationName] = recorded },
        };
        var (fresh, _) = CheckpointRig<Totals>.Bound(null, p => new Totals(16, p));

        var e = await Assert.ThrowsAsync<InvalidDataException>(async () =>
            await fresh.RestoreAsync(new CheckpointRestoreContext(manifest, store.GetCheckpointDirectory(id)), CancellationToken.None));

        Assert.Contains($"aggregation '{op.AggregationName}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"0x{recorded:X16}", e.Message, StringComparison.Ordinal);
        Assert.Contains($"0x{op.StateFingerprint:X16}", e.Message, StringComparison.Ordinal);
        Assert.Contains("state schema changed", e.Message, StringComparison.Ordinal);
    }
}

using Kernel.Sketches;

namespace Kernel.Tests.Sketches;

/// <summary>
/// docs/sketches.md: a restored reservoir snapshot continues exactly like the original, whichever algorithm fed it
/// (session 24's audit). After Algorithm R or a merge, Algorithm L's skip state is not valid, and the snapshot says
/// so (flags bit 0 clear) so that the restored copy recomputes it as the original does.
/// </summary>
public sealed class ReservoirSnapshotS24Tests
{
    [Theory]
    [InlineData("algorithm-r")]
    [InlineData("merge")]
    public void Snapshot_TakenWhileAlgorithmLsStateIsInvalid_RestoresAndContinuesIdentically(string how)
    {
        var original = new Reservoir<long>(16, 7);
        if (how == "algorithm-r")
        {
            for (var i = 0; i < 5_000; i++) original.AddR(i);
        }
        else
        {
            for (var i = 0; i < 3_000; i++) original.Add(i);
            var other = new Reservoir<long>(16, 8);
            for (var i = 3_000; i < 6_000; i++) other.Add(i);
            original.Merge(other);
        }
        var bytes = new byte[original.SnapshotSize];
        Assert.Equal(bytes.Length, original.WriteSnapshot(bytes));
        Assert.Equal(0, bytes[24] & 1);   // flags bit 0: Algorithm L's state is not valid

        var restored = Reservoir<long>.FromSnapshot(bytes);
        Assert.Equal(original.Seen, restored.Seen);
        Assert.Equal(original.Items.ToArray(), restored.Items.ToArray());
        for (var i = 10_000; i < 30_000; i++)
        {
            original.Add(i);
            restored.Add(i);
        }

        Assert.Equal(original.Items.ToArray(), restored.Items.ToArray());
        Assert.Equal(original.Seen, restored.Seen);
    }
}

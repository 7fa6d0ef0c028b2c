using Kernel.Checkpoints;
using Microsoft.Extensions.Logging;

namespace Kernel.Tests.Checkpoints;

public sealed class CheckpointStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new("store");

    public void Dispose() => _dir.Dispose();

    private static void Complete(CheckpointStore store, long id)
    {
        var dir = store.CreateCheckpointDirectory(id);
        File.WriteAllText(Path.Combine(dir, "state"), "state of " + id);
        store.WriteManifest(CheckpointManifestFormatTests.Sample(id));
    }

    private string ManifestPath(CheckpointStore store, long id) => Path.Combine(store.GetCheckpointDirectory(id), CheckpointStore.ManifestFileName);

    [Fact]
    public void LoadNewestComplete_Empty_StartsFromScratchSilently()
    {
        var store = new CheckpointStore(_dir.Path);
        var load = store.LoadNewestComplete();
        Assert.Null(load.Manifest);
        Assert.Empty(load.Diagnostics);
        Assert.Equal(1, store.NextCheckpointId());
    }

    [Fact]
    public void LoadNewestComplete_AllValid_ReturnsNewestWithoutMessages()
    {
        var store = new CheckpointStore(_dir.Path);
        for (var id = 1; id <= 3; id++) Complete(store, id);
        var load = store.LoadNewestComplete();
        Assert.Equal(3, load.Manifest!.CheckpointId);
        Assert.False(load.FellBack);
        Assert.Equal([1L, 2, 3], store.ListCheckpointIds());
    }

    [Fact]
    public void LoadNewestComplete_NewestTornAtEveryByte_FallsBackWithMessage()
    {
        var logger = new CapturingLogger();
        var store = new CheckpointStore(_dir.Path, logger);
        Complete(store, 1);
        Complete(store, 2);
        var image = File.ReadAllBytes(ManifestPath(store, 2));
        for (var length = 0; length < image.Length; length++)
        {
            File.WriteAllBytes(ManifestPath(store, 2), image[..length]);
            var load = store.LoadNewestComplete();
            Assert.Equal(1, load.Manifest!.CheckpointId);
            Assert.Contains("checkpoint 2", load.Diagnostics[0], StringComparison.Ordinal);
            Assert.Contains("corrupt", load.Diagnostics[0], StringComparison.Ordinal);
            Assert.Contains("falling back", load.Diagnostics[0], StringComparison.Ordinal);
            Assert.Contains("recovering from checkpoint 1", load.Diagnostics[^1], StringComparison.Ordinal);
        }
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("checkpoint 2", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadNewestComplete_NewestWithAnyBitFlipped_FallsBack()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        Complete(store, 2);
        var image = File.ReadAllBytes(ManifestPath(store, 2));
        for (var bit = 0; bit < image.Length * 8; bit++)
        {
            var flipped = (byte[])image.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(ManifestPath(store, 2), flipped);
            var load = store.LoadNewestComplete();
            Assert.True(load.Manifest?.CheckpointId == 1, $"bit {bit}: expected a fallback to checkpoint 1");
            Assert.True(load.FellBack, $"bit {bit}");
        }
    }

    [Fact]
    public void LoadNewestComplete_NewestWithoutManifest_FallsBackSayingIncomplete()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        store.CreateCheckpointDirectory(2);
        var load = store.LoadNewestComplete();
        Assert.Equal(1, load.Manifest!.CheckpointId);
        Assert.Contains("checkpoint 2", load.Diagnostics[0], StringComparison.Ordinal);
        Assert.Contains("incomplete", load.Diagnostics[0], StringComparison.Ordinal);
    }

    [Fact]
    public void LoadNewestComplete_ManifestInTheWrongDirectory_IsCorrupt()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        store.CreateCheckpointDirectory(2);
        File.Copy(ManifestPath(store, 1), ManifestPath(store, 2));
        var load = store.LoadNewestComplete();
        Assert.Equal(1, load.Manifest!.CheckpointId);
        Assert.Contains("says 1 but the directory is checkpoint 2", load.Diagnostics[0], StringComparison.Ordinal);
    }

    [Fact]
    public void LoadNewestComplete_NothingValid_SaysItStartsFromTheBeginning()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        File.WriteAllBytes(ManifestPath(store, 1), [1, 2, 3]);
        var load = store.LoadNewestComplete();
        Assert.Null(load.Manifest);
        Assert.Contains("starting from the beginning", load.Diagnostics[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void WriteManifest_LeavesNoTemporaryFile_AndReadsBack()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 7);
        Assert.False(File.Exists(ManifestPath(store, 7) + ".tmp"));
        Assert.Equal(123_456_789_012, store.ReadManifest(7).RingSequence);
    }

    [Fact]
    public void CreateCheckpointDirectory_ForACompleteCheckpoint_Throws()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        Assert.Throws<InvalidOperationException>(() => store.CreateCheckpointDirectory(1));
    }

    [Fact]
    public void CreateCheckpointDirectory_OverAnAbandonedAttempt_StartsEmpty()
    {
        var store = new CheckpointStore(_dir.Path);
        var dir = store.CreateCheckpointDirectory(1);
        File.WriteAllText(Path.Combine(dir, "leftover"), "x");
        dir = store.CreateCheckpointDirectory(1);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir));
    }

    [Fact]
    public void NextCheckpointId_CountsIncompleteDirectories_AndIgnoresOtherNames()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        store.CreateCheckpointDirectory(4);
        Directory.CreateDirectory(Path.Combine(store.CheckpointsDirectory, "9.deleting"));
        Directory.CreateDirectory(Path.Combine(store.CheckpointsDirectory, "007"));
        Directory.CreateDirectory(Path.Combine(store.CheckpointsDirectory, "notes"));
        Assert.Equal([1L, 4], store.ListCheckpointIds());
        Assert.Equal(5, store.NextCheckpointId());
    }

    [Fact]
    public void Prune_KeepsTheNewestN_DeletesOlderAndAbandoned_KeepsInFlight()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        store.CreateCheckpointDirectory(2); // abandoned
        Complete(store, 3);
        Complete(store, 4);
        Complete(store, 5);
        store.CreateCheckpointDirectory(6); // in flight
        Directory.CreateDirectory(Path.Combine(store.CheckpointsDirectory, "0.deleting"));
        var deleted = store.Prune(keepLast: 2);
        Assert.Equal([1L, 2, 3], deleted);
        Assert.Equal([4L, 5, 6], store.ListCheckpointIds());
        Assert.Empty(Directory.EnumerateDirectories(store.CheckpointsDirectory, "*.deleting"));
        Assert.Equal(5, store.LoadNewestComplete().Manifest!.CheckpointId);
    }

    [Fact]
    public void Prune_NeverDeletesTheNewestComplete_EvenWhenNewerOnesAreCorrupt()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        Complete(store, 2);
        Complete(store, 3);
        File.WriteAllBytes(ManifestPath(store, 3), [0]);
        store.Prune(keepLast: 1);
        Assert.Equal([2L, 3], store.ListCheckpointIds());
        Assert.Equal(2, store.LoadNewestComplete().Manifest!.CheckpointId);
    }

    [Fact]
    public void Prune_SkipsLeasedCheckpoints_UntilTheLeaseIsReleased()
    {
        var store = new CheckpointStore(_dir.Path);
        Complete(store, 1);
        Complete(store, 2);
        var lease = store.AcquireRestoreLease(1);
        var nested = store.AcquireRestoreLease(1);
        Assert.Empty(store.Prune(keepLast: 1));
        lease.Dispose();
        lease.Dispose();
        Assert.Empty(store.Prune(keepLast: 1));
        nested.Dispose();
        Assert.Equal([1L], store.Prune(keepLast: 1));
    }

    [Fact]
    public void Prune_KeepLastBelowOne_Throws()
    {
        var store = new CheckpointStore(_dir.Path);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Prune(0));
    }
}

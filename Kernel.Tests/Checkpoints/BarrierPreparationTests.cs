using Kernel.Checkpoints;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// The capture buffer's prefault (<see cref="IBarrierPreparation"/>, <see cref="IncrementalCapture.Prefault"/>):
/// reserving a checkpoint id prepares the participants that ask for it; the prefault covers what the
/// next barrier is expected to fill, changes no byte (even beside a copy into the same buffer) and
/// allocates nothing.
/// </summary>
public sealed class BarrierPreparationTests : IDisposable
{
    // 16-byte entries: an 8-byte key and an 8-byte aggregate (the unwindowed layout).
    private static readonly EntryLayout s_layout = EntryLayout.Unwindowed(16, 0, 8, 8, 8);
    private readonly TempDirectory _dir = new("barrier-preparation");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void ReserveCheckpointId_PreparesEachParticipantThatAsks_WithTheReservedId()
    {
        var coordinator = new CheckpointCoordinator(new CheckpointStore(_dir.Path));
        var log = new List<string>();
        var preparing = new PreparingParticipant("operator");
        coordinator.Register(new FakeParticipant("journal", (_, _) => ValueTask.CompletedTask, log));
        coordinator.Register(preparing);

        var first = coordinator.ReserveCheckpointId();
        var second = coordinator.ReserveCheckpointId();

        Assert.Equal([first, second], preparing.Prepared);
        Assert.Empty(log);   // the participant without the interface is not called at all
    }

    [Fact]
    public void Prefault_CoversTheLastDelta_AndAllocatesNothing()
    {
        var capture = new IncrementalCapture(IncrementalKeys.Prefix("p"));
        const int Entries = 5_000;   // 80,000 bytes: about 20 pages
        capture.Reset(1, 0, full: false);
        capture.SetLayout(s_layout);
        Fill(capture.ReserveEntries(0, 100, Entries), 1);
        capture.Encode();
        capture.TrimAfterWrite();
        // The next barrier starts from an empty capture: the prefault still covers the largest delta seen.
        capture.Reset(2, 1, full: false);

        var covered = capture.Prefault();

        Assert.InRange(covered, Entries * s_layout.Stride, capture.RawCapacity);
        Assert.Equal(0, Allocations.SteadyState(() => capture.Prefault()));
    }

    [Fact]
    public void Prefault_ChangesNoByte_BesideACopyIntoTheSameBuffer()
    {
        var capture = new IncrementalCapture(IncrementalKeys.Prefix("p"));
        const int Entries = 20_000;   // 320,000 bytes: about 80 pages
        capture.Reset(1, 0, full: false);
        capture.SetLayout(s_layout);
        var raw = capture.ReserveEntries(0, 100, Entries);
        Fill(raw, 0);
        capture.Prefault();
        Assert.True(Matches(capture.RawWritten, 0), "a prefault changed a byte of the capture");

        // A copy in progress (the operator's thread) beside prefaults (the injecting thread): every round
        // the copier reads back exactly what it wrote. Nothing here depends on how the threads interleave.
        var done = 0;
        var prefaults = 0L;
        var prefaulter = new Thread(() =>
        {
            while (Volatile.Read(ref done) == 0)
            {
                capture.Prefault();
                prefaults++;
            }
        });
        prefaulter.Start();
        var mismatches = 0;
        try
        {
            for (var round = 1; round <= 200; round++)
            {
                Fill(raw, round);
                if (!Matches(capture.RawWritten, round)) mismatches++;
            }
        }
        finally
        {
            Volatile.Write(ref done, 1);
            prefaulter.Join();
        }
        Assert.Equal(0, mismatches);
        Assert.True(prefaults > 0);
    }

    private static void Fill(Span<byte> bytes, int round)
    {
        for (var i = 0; i < bytes.Length; i++) bytes[i] = (byte)(i * 31 + round);
    }

    private static bool Matches(ReadOnlySpan<byte> bytes, int round)
    {
        for (var i = 0; i < bytes.Length; i++)
            if (bytes[i] != (byte)(i * 31 + round)) return false;
        return true;
    }

    private sealed class PreparingParticipant(string name) : ICheckpointParticipant, IBarrierPreparation
    {
        private readonly List<long> _prepared = [];

        public string Name { get; } = name;

        public long[] Prepared
        {
            get
            {
                lock (_prepared) return [.. _prepared];
            }
        }

        public void PrepareForBarrier(long checkpointId)
        {
            lock (_prepared) _prepared.Add(checkpointId);
        }

        public ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

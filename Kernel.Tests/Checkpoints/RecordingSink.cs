using Kernel.Checkpoints;
using Kernel.Sinks;

namespace Kernel.Tests.Checkpoints;

/// <summary>A sink that records the calls it gets, and whether the manifest existed at each.</summary>
internal sealed class RecordingSink(string name, CheckpointStore store, List<string> log, bool failPreCommit = false) : ICheckpointSink
{
    public string Name { get; } = name;

    public Func<long, bool>? RecoveredWith { get; private set; }

    private void Add(string what, long epoch)
    {
        var manifest = store.IsComplete(epoch) ? "manifest" : "no-manifest";
        lock (log) log.Add($"{what}:{Name}:{epoch}:{manifest}");
    }

    public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken)
    {
        Add("precommit", epoch);
        return failPreCommit ? throw new IOException("disk full") : ValueTask.CompletedTask;
    }

    public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
    {
        Add("commit", epoch);
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken)
    {
        Add("abort", epoch);
        return ValueTask.CompletedTask;
    }

    public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken)
    {
        RecoveredWith = isEpochCommitted;
        return ValueTask.CompletedTask;
    }
}

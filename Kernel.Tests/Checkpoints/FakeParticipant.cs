using Kernel.Checkpoints;

namespace Kernel.Tests.Checkpoints;

/// <summary>A participant whose snapshot does what the test says and records what happened to it.</summary>
internal sealed class FakeParticipant(string name, Func<CheckpointContext, CancellationToken, ValueTask> snapshot, List<string> log) : ICheckpointParticipant
{
    public string Name { get; } = name;

    public CheckpointRestoreContext? Restored { get; private set; }

    public async ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        await snapshot(context, cancellationToken);
        lock (log) log.Add($"snapshot:{Name}:{context.CheckpointId}");
    }

    public ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken)
    {
        Restored = context;
        lock (log) log.Add($"restore:{Name}:{context.Manifest.CheckpointId}");
        return ValueTask.CompletedTask;
    }

    public ValueTask AbortAsync(long checkpointId, CancellationToken cancellationToken)
    {
        lock (log) log.Add($"abort:{Name}:{checkpointId}");
        return ValueTask.CompletedTask;
    }
}

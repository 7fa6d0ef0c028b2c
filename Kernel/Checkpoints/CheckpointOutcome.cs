namespace Kernel.Checkpoints;

/// <summary>How a checkpoint ended.</summary>
public enum CheckpointOutcome
{
    /// <summary>The manifest is written: the checkpoint is complete and its epoch committed (or pending a retried commit).</summary>
    Completed = 0,

    /// <summary>A participant or sink failed, or the checkpoint timed out: nothing was recorded and sinks discarded the epoch.</summary>
    Aborted = 1,
}

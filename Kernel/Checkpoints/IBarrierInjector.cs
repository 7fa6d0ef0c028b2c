namespace Kernel.Checkpoints;

/// <summary>Puts a checkpoint barrier into the stream; the ring buffer implements it.</summary>
public interface IBarrierInjector
{
    /// <summary>
    /// Publishes a <c>Barrier</c> entry carrying <paramref name="checkpointId"/> and returns its ring
    /// sequence S: every entry before S is in the checkpoint, none after.
    /// </summary>
    long InjectBarrier(long checkpointId);
}

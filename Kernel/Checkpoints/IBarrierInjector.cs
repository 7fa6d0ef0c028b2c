namespace Kernel.Checkpoints;

/// <summary>Puts a checkpoint barrier into the stream; the ring buffer implements it.</summary>
public interface IBarrierInjector
{
    /// <summary>
    /// Publishes a <c>Barrier</c> entry carrying <paramref name="checkpointId"/> and returns its ring
    /// sequence S: every entry before S is in the checkpoint, none after.
    /// </summary>
    long InjectBarrier(long checkpointId);

    /// <summary>
    /// <see cref="InjectBarrier"/> without blocking a thread while the stream has no room for the barrier: the
    /// checkpoint scheduler calls this one. Not cancellable, as <see cref="InjectBarrier"/> is not: the checkpoint id
    /// is reserved (and the participants prepared for it) before the barrier goes in. The default calls
    /// <see cref="InjectBarrier"/>.
    /// </summary>
    ValueTask<long> InjectBarrierAsync(long checkpointId) => new(InjectBarrier(checkpointId));
}

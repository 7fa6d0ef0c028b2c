namespace Kernel.Operators;

/// <summary>
/// Told about the in-band control entries an operator meets in the ring (called once per control
/// entry, never per event): the checkpoint coordinator snapshots the operator on a barrier.
/// </summary>
public interface IControlListener
{
    /// <summary>The operator reached checkpoint barrier <paramref name="checkpointId"/> at ring sequence <paramref name="sequence"/>; its state reflects exactly the entries before it.</summary>
    void OnBarrier(long checkpointId, long sequence);

    /// <summary>A source published end of input at ring sequence <paramref name="sequence"/>.</summary>
    void OnEndOfInput(int sourceId, long sequence);
}

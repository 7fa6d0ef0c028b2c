namespace Kernel.Ring;

/// <summary>
/// A consumer of ring entries. The processor hands it every entry that is available at once, as a
/// span over the ring's own slots (no copy): the dispatch through this interface is paid per
/// batch, never per event.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public interface IBatchHandler<T>
{
    /// <summary>
    /// Processes a contiguous run of entries. A batch that wraps around the end of the ring
    /// arrives as two calls. The span is valid only during the call.
    /// </summary>
    /// <param name="entries">The entries, in sequence order.</param>
    /// <param name="firstSequence">The ring sequence of <c>entries[0]</c>.</param>
    void OnBatch(ReadOnlySpan<RingEntry<T>> entries, long firstSequence);
}

namespace Kernel.Sources;

/// <summary>
/// Where a source delivers parsed events: once per batch, never per event. The source awaits
/// <see cref="PublishAsync"/> before it reads more input, so a target that is full (a ring with
/// no free slots) stops the source, and the source stops pulling bytes from its stream.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public interface ISourceTarget<T>
{
    /// <summary>
    /// Takes a batch of events. The memory is the source's reusable batch: copy what is needed
    /// before the returned task completes; the source overwrites it afterwards.
    /// </summary>
    /// <param name="events">The events, in input order.</param>
    /// <param name="positions">
    /// For each event, its source position: the byte offset just after the record (terminator
    /// included), so a checkpoint that covers the event can resume the source there.
    /// </param>
    /// <param name="cancellationToken">Cancels a publish that is waiting for room.</param>
    /// <returns>A task that completes when the target has taken the batch.</returns>
    ValueTask PublishAsync(ReadOnlyMemory<T> events, ReadOnlyMemory<long> positions, CancellationToken cancellationToken);
}

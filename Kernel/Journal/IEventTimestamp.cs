namespace Kernel.Journal;

/// <summary>
/// Reads an event's time (Unix ms) for the journal record's timestamp, so that replay can start
/// from an event time. Implement it on a struct: the journal handler takes it as a constrained
/// generic argument, so the call is inlined, never dispatched per event.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public interface IEventTimestamp<T>
    where T : unmanaged
{
    /// <summary>The event time of <paramref name="e"/>.</summary>
    long TimestampOf(in T e);
}

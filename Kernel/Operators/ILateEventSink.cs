namespace Kernel.Operators;

/// <summary>
/// Receives events that arrived too late to change any result: their window's
/// <c>end − 1 + AllowedLateness</c> was already at or below the watermark. They are counted and
/// handed here, never silently dropped.
/// </summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public interface ILateEventSink<TEvent>
{
    /// <summary>Receives one late event (valid only during the call).</summary>
    /// <param name="e">The event.</param>
    /// <param name="eventTimeMs">Its event time.</param>
    /// <param name="watermark">The watermark that made it late.</param>
    void OnLateEvent(in TEvent e, long eventTimeMs, long watermark);
}

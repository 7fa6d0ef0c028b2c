namespace Kernel.Operators;

/// <summary>
/// An operator that judges events late (a windowed aggregation): how many it found so far. The kernel
/// reports it per handler as the <c>kernel.window.late_events</c> counter, read when a metrics listener
/// collects (nothing is counted on the event path for it).
/// </summary>
public interface ILateEventCount
{
    /// <summary>Events found too late to change any result, each handed to the operator's late-events sink.</summary>
    long LateEvents { get; }
}

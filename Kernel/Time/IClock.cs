namespace Kernel.Time;

/// <summary>
/// Processing time, in milliseconds from an arbitrary origin. Operators read it once per batch
/// (idle sources, periodic watermarks and periodic emission), never per event; tests inject a
/// <see cref="ManualClock"/> so that processing-time behaviour is deterministic.
/// </summary>
public interface IClock
{
    /// <summary>The current processing time in milliseconds; never decreases.</summary>
    long NowMs { get; }
}

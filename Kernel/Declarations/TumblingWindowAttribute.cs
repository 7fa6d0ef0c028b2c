namespace Kernel;

/// <summary>Groups events into fixed, non-overlapping event-time windows <c>[start, start + size)</c>.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class TumblingWindowAttribute : Attribute
{
    /// <summary>Declares the window size.</summary>
    /// <param name="size">A duration such as <c>1d</c>, <c>1h</c>, <c>5m</c>, <c>10s</c> or <c>500ms</c>.</param>
    public TumblingWindowAttribute(string size) => Size = size;

    /// <summary>The window size, as a duration.</summary>
    public string Size { get; }

    /// <summary>
    /// Shifts window boundaries from the Unix epoch (for local days); <c>0ms</c> when unset.
    /// Durations have no sign: days starting at 00:00 in UTC−5 start at 05:00 UTC, so write <c>5h</c>;
    /// for UTC+2 write <c>22h</c> (an offset works modulo the size).
    /// </summary>
    public string? Offset { get; set; }
}

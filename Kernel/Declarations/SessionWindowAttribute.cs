namespace Kernel;

/// <summary>
/// Groups a key's events into sessions: events at most <see cref="Gap"/> apart share one, and a longer stretch
/// of inactivity separates two (Flink's rule: an event at <c>t</c> covers <c>[t, t + gap)</c>, and touching windows merge).
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class SessionWindowAttribute : Attribute
{
    /// <summary>The inactivity gap that closes a session, as a duration (required).</summary>
    public string? Gap { get; set; }
}

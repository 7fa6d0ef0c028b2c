namespace Kernel;

/// <summary>How long after a window fires late events still update it; later events go to the late-events output.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class AllowedLatenessAttribute : Attribute
{
    /// <summary>Declares the lateness.</summary>
    /// <param name="lateness">A duration such as <c>1h</c>.</param>
    public AllowedLatenessAttribute(string lateness) => Lateness = lateness;

    /// <summary>The allowed lateness, as a duration.</summary>
    public string Lateness { get; }
}

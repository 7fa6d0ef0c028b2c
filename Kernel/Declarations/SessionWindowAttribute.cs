namespace Kernel;

/// <summary>Groups a key's events into sessions separated by at least <see cref="Gap"/> of inactivity.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class SessionWindowAttribute : Attribute
{
    /// <summary>The inactivity gap that closes a session, as a duration (required).</summary>
    public string? Gap { get; set; }
}

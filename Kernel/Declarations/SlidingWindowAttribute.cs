namespace Kernel;

/// <summary>Groups events into overlapping windows of one size that start every slide; the size must be a multiple of the slide.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class SlidingWindowAttribute : Attribute
{
    /// <summary>Declares the window size.</summary>
    /// <param name="size">A duration such as <c>1h</c>.</param>
    public SlidingWindowAttribute(string size) => Size = size;

    /// <summary>The window size, as a duration.</summary>
    public string Size { get; }

    /// <summary>The distance between window starts, as a duration (required).</summary>
    public string? Slide { get; set; }

    /// <summary>Shifts window boundaries from the Unix epoch; <c>0ms</c> when unset.</summary>
    public string? Offset { get; set; }
}

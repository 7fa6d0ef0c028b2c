namespace Kernel;

/// <summary>When the aggregation emits rows; <see cref="EmitMode.Final"/> when not declared.</summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class EmitAttribute : Attribute
{
    /// <summary>Declares the emit mode.</summary>
    /// <param name="mode">The emit mode.</param>
    public EmitAttribute(EmitMode mode) => Mode = mode;

    /// <summary>The emit mode.</summary>
    public EmitMode Mode { get; }

    /// <summary>The period of <see cref="EmitMode.Periodic"/> emission, as a duration (required for it).</summary>
    public string? Interval { get; set; }
}

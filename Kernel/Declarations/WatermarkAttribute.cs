namespace Kernel;

/// <summary>
/// The default watermark strategy: bounded out-of-orderness, W = largest event time seen −
/// <see cref="MaxOutOfOrderness"/> − 1 ms. Runtime options may override it.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class WatermarkAttribute : Attribute
{
    /// <summary>How far out of order events may arrive, as a duration; <c>0ms</c> when unset.</summary>
    public string? MaxOutOfOrderness { get; set; }

    /// <summary>Processing time without events after which a source stops holding the watermark back; never when unset.</summary>
    public string? IdleTimeout { get; set; }
}

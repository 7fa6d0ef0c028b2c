namespace Kernel;

/// <summary>The value of the named input member on the event with the latest event time (the last to arrive among equal times).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class LastAttribute : Attribute
{
    /// <summary>Names the input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public LastAttribute(string member) => Member = member;

    /// <summary>The input member aggregated.</summary>
    public string Member { get; }
}

namespace Kernel;

/// <summary>The value of the named input member on the event with the earliest event time (the first to arrive among equal times).</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class FirstAttribute : Attribute
{
    /// <summary>Names the input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public FirstAttribute(string member) => Member = member;

    /// <summary>The input member aggregated.</summary>
    public string Member { get; }
}

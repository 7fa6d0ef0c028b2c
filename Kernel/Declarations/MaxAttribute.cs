namespace Kernel;

/// <summary>The largest value of the named numeric input member.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class MaxAttribute : Attribute
{
    /// <summary>Names the input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public MaxAttribute(string member) => Member = member;

    /// <summary>The input member aggregated.</summary>
    public string Member { get; }
}

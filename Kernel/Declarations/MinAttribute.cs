namespace Kernel;

/// <summary>The smallest value of the named numeric input member.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class MinAttribute : Attribute
{
    /// <summary>Names the input member.</summary>
    /// <param name="member">A member of the input (use <c>nameof</c>).</param>
    public MinAttribute(string member) => Member = member;

    /// <summary>The input member aggregated.</summary>
    public string Member { get; }
}

namespace Kernel;

/// <summary>The number of input events folded into the row (after <c>[Where]</c>); the row member must be a 64-bit integer or wider.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class CountAttribute : Attribute
{
}

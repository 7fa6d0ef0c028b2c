namespace Kernel;

/// <summary>Receives the start of the row's window in Unix milliseconds (inclusive); the member must be a <see cref="long"/>.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class WindowStartAttribute : Attribute
{
}

namespace Kernel;

/// <summary>Receives the end of the row's window in Unix milliseconds (exclusive); the member must be a <see cref="long"/>.</summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class WindowEndAttribute : Attribute
{
}

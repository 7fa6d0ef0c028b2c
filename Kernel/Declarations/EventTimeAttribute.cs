namespace Kernel;

/// <summary>
/// Marks the member that holds an event's time: a <see cref="long"/> of Unix milliseconds, a
/// <see cref="DateTime"/> (read as UTC) or a <see cref="DateTimeOffset"/>. At most one per event type.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class EventTimeAttribute : Attribute
{
}

namespace Kernel;

/// <summary>
/// Marks an unmanaged, partial struct as an event type: the generator adds zero-allocation
/// UTF-8 CSV (<c>Csv</c>) and JSON-lines (<c>JsonLines</c>) readers and writers to it, and
/// aggregations may name it as their input.
/// </summary>
[AttributeUsage(AttributeTargets.Struct, Inherited = false)]
public sealed class StreamEventAttribute : Attribute
{
}

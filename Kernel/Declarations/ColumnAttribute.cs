namespace Kernel;

/// <summary>
/// Names the CSV column and JSON property of a member. Without it a member is matched to a
/// header by its name written in snake_case or PascalCase (case and underscores are ignored),
/// and is written in snake_case.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class ColumnAttribute : Attribute
{
    /// <summary>Names the column.</summary>
    /// <param name="name">The column name as it appears in headers and JSON property names.</param>
    public ColumnAttribute(string name) => Name = name;

    /// <summary>The column name as it appears in headers and JSON property names.</summary>
    public string Name { get; }
}

namespace Kernel.Generators.Model;

/// <summary>Everything the CSV and JSON-lines emitters need for one type.</summary>
/// <param name="Type">Where the type is declared.</param>
/// <param name="Columns">The columns, in declaration order.</param>
/// <param name="JsonLines">Whether to emit the JSON-lines codec too (events: yes; aggregation rows: CSV only).</param>
internal sealed record CodecModel(TypeRef Type, EquatableArray<ColumnModel> Columns, bool JsonLines);

namespace Kernel.Generators.Model;

/// <summary>Everything the CSV and JSON-lines emitters need for one type.</summary>
/// <param name="Type">Where the type is declared.</param>
/// <param name="Columns">The columns, in declaration order.</param>
/// <param name="SourceParsers">Whether to emit the sources' record parsers (events: yes; aggregation rows: no, their CSV and JSON-lines codecs only read and write).</param>
internal sealed record CodecModel(TypeRef Type, EquatableArray<ColumnModel> Columns, bool SourceParsers);

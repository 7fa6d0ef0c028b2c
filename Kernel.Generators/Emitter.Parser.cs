using Kernel.Generators.Model;

namespace Kernel.Generators;

/// <summary>
/// The record parsers of an event type: <c>Csv.Parser</c> and <c>JsonLines.Parser</c>, structs
/// implementing <c>Kernel.Sources.IRecordParser&lt;T&gt;</c> over the codecs, so a source calls
/// them directly (<c>new FileSource&lt;Order, Order.Csv.Parser&gt;(path, options)</c>).
/// </summary>
internal static partial class Emitter
{
    private const string Sources = "global::Kernel.Sources.";

    /// <summary>Emits <c>Csv.Parser</c>: the header mapped by name, or declaration order without a header.</summary>
    private static void EmitCsvParser(SourceWriter w, CodecModel codec)
    {
        var t = codec.Type.FullName;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Reads CSV records for a source: <c>new FileSource&lt;" + codec.Type.Name + ", " + codec.Type.Name + ".Csv.Parser&gt;(path, new SourceOptions { HasHeader = true })</c>.");
        w.Line("/// The header maps columns by name (a missing or repeated column stops the source at line 1, naming the column);");
        w.Line("/// without a header the columns are read in declaration order, as <see cref=\"Write\"/> writes them.");
        w.Line("/// A bad record's error names the column and the value. Good records allocate nothing.");
        w.Line("/// </summary>");
        w.Open("public struct Parser : " + Sources + "IRecordParser<" + t + ">");
        w.Line("// Set by ParseHeader; null until a header is read (then declaration order applies) or when it was rejected.");
        w.Line("private " + Formats + "CsvColumnMap? _map;");
        w.Line("// Set by ParseHeader when the header cannot be used; records then fail with it.");
        w.Line("private " + Sources + "RecordError? _headerError;");
        w.Line();
        w.Line("/// <summary>Maps the header's columns to members by name.</summary>");
        w.Open("public void ParseHeader(global::System.ReadOnlySpan<byte> header)");
        w.Open("if (s_columns.TryMapHeader(header, out var map, out var error))");
        w.Line("_map = map;");
        w.Line("_headerError = null;");
        w.Close();
        w.Open("else");
        w.Line("_map = null;");
        w.Line("_headerError = error.ToRecordError();");
        w.Close();
        w.Close();
        w.Line();
        w.Line("/// <summary>True, naming the column, when the last header had a member without a column or two columns for one member.</summary>");
        w.Open("public readonly bool TryGetHeaderError(out " + Sources + "RecordError error)");
        w.Line("error = _headerError.GetValueOrDefault();");
        w.Line("return _headerError.HasValue;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Reads one record; false with the column, value and reason when a field does not parse or the field count is wrong.</summary>");
        w.Open("public readonly bool TryParse(global::System.ReadOnlySpan<byte> record, out " + t + " value, out " + Sources + "RecordError error)");
        w.Line("var map = _map;");
        w.Open("if (map is null)");
        w.Open("if (_headerError.HasValue)");
        w.Line("value = default;");
        w.Line("error = _headerError.GetValueOrDefault();");
        w.Line("return false;");
        w.Close();
        w.Line("map = s_columns.DeclarationOrder;");
        w.Close();
        w.Open("if (TryRead(record, map, 0, out value, out var formatError))");
        w.Line("error = default;");
        w.Line("return true;");
        w.Close();
        w.Line("error = formatError.ToRecordError();");
        w.Line("return false;");
        w.Close();
        w.Close();
    }

    /// <summary>Emits <c>JsonLines.Parser</c>: one flat object per record, no header.</summary>
    private static void EmitJsonLinesParser(SourceWriter w, CodecModel codec)
    {
        var t = codec.Type.FullName;
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// Reads JSON-lines records for a source: <c>new FileSource&lt;" + codec.Type.Name + ", " + codec.Type.Name + ".JsonLines.Parser&gt;(path)</c>.");
        w.Line("/// A bad record's error names the property and the value. Good records allocate nothing.");
        w.Line("/// </summary>");
        w.Open("public struct Parser : " + Sources + "IRecordParser<" + t + ">");
        w.Line("/// <summary>JSON lines have no header: a line the source hands as one is skipped.</summary>");
        w.Open("public readonly void ParseHeader(global::System.ReadOnlySpan<byte> header)");
        w.Close();
        w.Line();
        w.Line("/// <summary>Never rejects a header (implemented so the source's call needs no boxing).</summary>");
        w.Open("public readonly bool TryGetHeaderError(out " + Sources + "RecordError error)");
        w.Line("error = default;");
        w.Line("return false;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Reads one record; false with the property, value and reason when it does not parse or a member is missing.</summary>");
        w.Open("public readonly bool TryParse(global::System.ReadOnlySpan<byte> record, out " + t + " value, out " + Sources + "RecordError error)");
        w.Open("if (TryRead(record, 0, out value, out var formatError))");
        w.Line("error = default;");
        w.Line("return true;");
        w.Close();
        w.Line("error = formatError.ToRecordError();");
        w.Line("return false;");
        w.Close();
        w.Close();
    }
}

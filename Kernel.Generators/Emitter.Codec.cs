using System.Linq;
using System.Text;
using Kernel.Generators.Model;

namespace Kernel.Generators;

internal static partial class Emitter
{
    private const string Formats = "global::Kernel.Formats.";
    private const string Output = "global::System.Buffers.IBufferWriter<byte>";

    /// <summary>Emits the nested <c>Csv</c> codec (reader, writer, header mapping) of a type.</summary>
    public static string EmitCsv(CodecModel codec)
    {
        var type = codec.Type;
        var t = type.FullName;
        var columns = codec.Columns;
        var w = Begin(type);
        w.Open("partial " + type.Keyword + " " + type.Name);
        w.Line("/// <summary>Zero-allocation UTF-8 CSV reading and writing of <see cref=\"" + type.Name + "\"/> (header mapped by name).</summary>");
        w.Open("public static class Csv");
        w.Line("private static readonly " + Formats + "ColumnSet s_columns = new " + Formats + "ColumnSet(");
        w.Line("    new string[] { " + string.Join(", ", columns.Select(c => Literal(c.Member))) + " },");
        w.Line("    new string[] { " + string.Join(", ", columns.Select(c => Literal(c.ColumnName))) + " },");
        w.Line("    new bool[] { " + string.Join(", ", columns.Select(c => c.ExplicitName ? "true" : "false")) + " });");
        w.Line();
        w.Line("/// <summary>The members read and written, in column order, with their column names.</summary>");
        w.Line("public static " + Formats + "ColumnSet Columns => s_columns;");
        w.Line();
        w.Line("/// <summary>The header line the writer produces (with its <c>\\n</c>).</summary>");
        w.Line("public static global::System.ReadOnlySpan<byte> Header => " + Literal(CsvHeader(codec)) + "u8;");
        w.Line();
        w.Line("/// <summary>Maps a header line to members; false (with the reason) when a member has no column or two columns name one member.</summary>");
        w.Line("public static bool TryParseHeader(global::System.ReadOnlySpan<byte> header, out " + Formats + "CsvColumnMap map, out " + Formats + "FormatError error)");
        w.Line("    => s_columns.TryMapHeader(header, out map, out error);");
        w.Line();
        w.Line("/// <summary>Maps a header line to members, throwing <see cref=\"" + Formats + "EventFormatException\"/> when it cannot.</summary>");
        w.Open("public static " + Formats + "CsvColumnMap ParseHeader(global::System.ReadOnlySpan<byte> header)");
        w.Line("if (!s_columns.TryMapHeader(header, out var map, out var error)) " + Formats + "FormatThrowHelper.ThrowFormat(error);");
        w.Line("return map;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Reads one line; false (with the line, column and value in <paramref name=\"error\"/>) when a field does not parse or the field count differs from the header.</summary>");
        w.Open("public static bool TryRead(global::System.ReadOnlySpan<byte> line, " + Formats + "CsvColumnMap map, long lineNumber, out " + t + " value, out " + Formats + "FormatError error)");
        w.Line("value = default;");
        w.Line("error = default;");
        w.Line("var fields = new " + Formats + "CsvFieldReader(line);");
        w.Line("var column = 0;");
        w.Open("while (fields.TryNext(out var field))");
        w.Open("if (column >= map.ColumnCount)");
        w.Line("error = map.WrongFieldCount(lineNumber, column + 1);");
        w.Line("return false;");
        w.Close();
        w.Open("if (!TryParseMember(map.MemberAt(column), field, ref value, out var reason))");
        w.Line("error = map.Invalid(lineNumber, column, field, reason);");
        w.Line("return false;");
        w.Close();
        w.Line("column++;");
        w.Close();
        w.Open("if (column != map.ColumnCount)");
        w.Line("error = map.WrongFieldCount(lineNumber, column);");
        w.Line("return false;");
        w.Close();
        w.Line("return true;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Reads one line, throwing <see cref=\"" + Formats + "EventFormatException\"/> when it does not parse.</summary>");
        w.Open("public static " + t + " Read(global::System.ReadOnlySpan<byte> line, " + Formats + "CsvColumnMap map, long lineNumber)");
        w.Line("if (!TryRead(line, map, lineNumber, out var value, out var error)) " + Formats + "FormatThrowHelper.ThrowFormat(error);");
        w.Line("return value;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Writes <see cref=\"Header\"/>.</summary>");
        w.Line("public static void WriteHeader(" + Output + " output) => " + Formats + "Utf8Output.WriteRaw(output, Header);");
        w.Line();
        w.Line("/// <summary>Writes one line (with its <c>\\n</c>).</summary>");
        w.Open("public static void Write(" + Output + " output, in " + t + " value)");
        for (var i = 0; i < columns.Count; i++)
        {
            if (i > 0) w.Line(Formats + "Utf8Output.WriteByte(output, (byte)',');");
            w.Line(WriteValue(columns[i], json: false));
        }
        w.Line(Formats + "Utf8Output.WriteByte(output, (byte)'\\n');");
        w.Close();
        w.Line();
        EmitParseMember(w, codec);
        if (codec.SourceParsers) EmitCsvParser(w, codec);
        w.Close();
        w.Close();
        return w.ToString();
    }

    /// <summary>
    /// Emits the nested <c>JsonLines</c> codec of a type (it shares <c>Csv</c>'s column set and value parsing): an
    /// event's, with the source parser (<see cref="CodecModel.SourceParsers"/>), or an aggregation row's, reader and writer.
    /// </summary>
    public static string EmitJsonLines(CodecModel codec)
    {
        var type = codec.Type;
        var t = type.FullName;
        var columns = codec.Columns;
        var w = Begin(type);
        w.Open("partial " + type.Keyword + " " + type.Name);
        w.Line("/// <summary>Zero-allocation UTF-8 JSON-lines reading and writing of <see cref=\"" + type.Name + "\"/> (one flat object per line).</summary>");
        w.Open("public static class JsonLines");
        w.Line("/// <summary>Reads one line; false (with the line, property and value in <paramref name=\"error\"/>) when it is not a flat object, a value does not parse or a member is missing. Unknown properties are skipped.</summary>");
        w.Open("public static bool TryRead(global::System.ReadOnlySpan<byte> line, long lineNumber, out " + t + " value, out " + Formats + "FormatError error)");
        w.Line("value = default;");
        w.Line("error = default;");
        w.Line("var reader = new " + Formats + "JsonLineReader(line);");
        // One mask of members read per 64 members: 'seen' for members 0..63, then 'seen1' for 64..127, and so on.
        var words = System.Math.Max(1, (columns.Count + 63) / 64);
        for (var k = 0; k < words; k++) w.Line("var " + SeenMask(k) + " = 0UL;");
        w.Line("var position = 0;");
        w.Open("while (reader.TryReadProperty(out var name, out var text, out _))");
        w.Line("var member = Csv.Columns.Find(name);");
        w.Open("if (!Csv.TryParseMember(member, text, ref value, out var reason))");
        w.Line("error = " + Formats + "ColumnSet.Invalid(lineNumber, position, name, text, reason);");
        w.Line("return false;");
        w.Close();
        if (words == 1)
        {
            w.Line("if (member >= 0 && member < 64) seen |= 1UL << member;");
        }
        else
        {
            w.Open("if (member >= 0)");
            for (var k = 0; k < words; k++)
            {
                var condition = k == 0 ? "if (member < 64) " : k < words - 1 ? "else if (member < " + Invariant(64 * (k + 1)) + ") " : "else ";
                w.Line(condition + SeenMask(k) + " |= 1UL << " + (k == 0 ? "member" : "(member - " + Invariant(64 * k) + ")") + ";");
            }
            w.Close();
        }
        w.Line("position++;");
        w.Close();
        w.Open("if (reader.Failed)");
        w.Line("error = reader.Error(lineNumber);");
        w.Line("return false;");
        w.Close();
        for (var k = 0; k < words; k++)
        {
            var inWord = System.Math.Min(64, columns.Count - 64 * k);
            var all = inWord >= 64 ? "ulong.MaxValue" : "0x" + ((1UL << inWord) - 1).ToString("X", System.Globalization.CultureInfo.InvariantCulture) + "UL";
            w.Open("if (" + SeenMask(k) + " != " + all + ")");
            // ColumnSet.Missing reads one mask, members 0..63; a later mask's first clear bit is named by ColumnSet.MissingMember.
            w.Line(k == 0
                ? "error = Csv.Columns.Missing(lineNumber, seen);"
                : "error = Csv.Columns.MissingMember(lineNumber, " + Invariant(64 * k) + " + global::System.Numerics.BitOperations.TrailingZeroCount(~" + SeenMask(k) + "));");
            w.Line("return false;");
            w.Close();
        }
        w.Line("return true;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Reads one line, throwing <see cref=\"" + Formats + "EventFormatException\"/> when it does not parse.</summary>");
        w.Open("public static " + t + " Read(global::System.ReadOnlySpan<byte> line, long lineNumber)");
        w.Line("if (!TryRead(line, lineNumber, out var value, out var error)) " + Formats + "FormatThrowHelper.ThrowFormat(error);");
        w.Line("return value;");
        w.Close();
        w.Line();
        w.Line("/// <summary>Writes one object on one line (with its <c>\\n</c>), properties named as the CSV columns.</summary>");
        w.Open("public static void Write(" + Output + " output, in " + t + " value)");
        for (var i = 0; i < columns.Count; i++)
        {
            var c = columns[i];
            var quoted = c.Kind is ValueKind.DateTime or ValueKind.DateTimeOffset;
            var prefix = (i == 0 ? "{" : ",") + "\"" + JsonEscape(c.ColumnName) + "\":" + (quoted ? "\"" : string.Empty);
            w.Line(Formats + "Utf8Output.WriteRaw(output, " + Literal(prefix) + "u8);");
            w.Line(WriteValue(c, json: true));
            if (quoted) w.Line(Formats + "Utf8Output.WriteByte(output, (byte)'\"');");
        }
        w.Line(Formats + "Utf8Output.WriteRaw(output, " + Literal(columns.Count == 0 ? "{}\n" : "}\n") + "u8);");
        w.Close();
        if (codec.SourceParsers) EmitJsonLinesParser(w, codec);
        w.Close();
        w.Close();
        return w.ToString();
    }

    private static string SeenMask(int word) => word == 0 ? "seen" : "seen" + Invariant(word);

    private static string Invariant(int value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static void EmitParseMember(SourceWriter w, CodecModel codec)
    {
        w.Line("/// <summary>Parses the text of member <paramref name=\"member\"/> (an index into <see cref=\"Columns\"/>; -1 skips) into <paramref name=\"value\"/>.</summary>");
        w.Open("internal static bool TryParseMember(int member, global::System.ReadOnlySpan<byte> text, ref " + codec.Type.FullName + " value, out string reason)");
        w.Line("reason = string.Empty;");
        w.Open("switch (member)");
        for (var i = 0; i < codec.Columns.Count; i++)
        {
            var c = codec.Columns[i];
            Parse(c, out var call, out var assign, out var why);
            w.Open("case " + i + ":");
            w.Line("if (!" + call + ") { reason = " + Literal(why) + "; return false; }");
            w.Line("value." + c.Member + " = " + assign + ";");
            w.Line("return true;");
            w.Close();
        }
        w.Line("default:");
        w.Line("    return true;");
        w.Close();
        w.Close();
    }

    private static void Parse(ColumnModel c, out string call, out string assign, out string reason)
    {
        assign = "v";
        var values = Formats + "Utf8Values.";
        switch (c.Kind)
        {
            case ValueKind.Boolean:
                call = values + "TryParseBoolean(text, out var v)";
                reason = "is not true, false, 1 or 0";
                break;
            case ValueKind.Single:
            case ValueKind.Double:
            case ValueKind.Decimal:
                call = values + "TryParseReal<" + c.TypeName + ">(text, out var v)";
                reason = "is not a number (" + c.TypeName + ")";
                break;
            case ValueKind.DateTime:
                call = values + "TryParseDateTime(text, out var v)";
                reason = "is not an ISO-8601 date-time";
                break;
            case ValueKind.DateTimeOffset:
                call = values + "TryParseDateTimeOffset(text, out var v)";
                reason = "is not an ISO-8601 date-time";
                break;
            case ValueKind.Enum:
                call = values + "TryParseInteger<" + c.EnumUnderlying + ">(text, out var v)";
                assign = "(" + c.TypeName + ")v";
                reason = "is not an integer (" + c.EnumUnderlying + ")";
                break;
            case ValueKind.Int64 when c.IsEventTime:
                call = values + "TryParseUnixMilliseconds(text, out var v)";
                reason = "is neither Unix milliseconds nor an ISO-8601 date-time";
                break;
            default:
                call = values + "TryParseInteger<" + c.TypeName + ">(text, out var v)";
                reason = "is not an integer (" + c.TypeName + ")";
                break;
        }
    }

    private static string WriteValue(ColumnModel c, bool json)
    {
        var output = Formats + "Utf8Output.";
        var v = "value." + c.Member;
        return c.Kind switch
        {
            ValueKind.Boolean => output + "WriteBoolean(output, " + v + ");",
            ValueKind.DateTime or ValueKind.DateTimeOffset => output + "WriteTime(output, " + v + ");",
            ValueKind.Enum => output + "WriteNumber(output, (" + c.EnumUnderlying + ")" + v + ");",
            ValueKind.Single or ValueKind.Double when json => output + "WriteJsonReal(output, " + v + ");",
            _ => output + "WriteNumber(output, " + v + ");",
        };
    }

    private static string CsvHeader(CodecModel codec)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < codec.Columns.Count; i++)
        {
            if (i > 0) sb.Append(',');
            var name = codec.Columns[i].ColumnName;
            if (name.IndexOfAny(new[] { ',', '"', '\n', '\r' }) >= 0) sb.Append('"').Append(name.Replace("\"", "\"\"")).Append('"');
            else sb.Append(name);
        }
        return sb.Append('\n').ToString();
    }

    private static string JsonEscape(string name) => name.Replace("\\", "\\\\").Replace("\"", "\\\"");
}

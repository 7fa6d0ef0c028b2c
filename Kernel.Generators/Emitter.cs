using System.Globalization;
using System.Text;
using Kernel.Generators.Model;

namespace Kernel.Generators;

/// <summary>
/// Writes the C# for models. Each part is one file named <c>{Namespace}.{Type}.{Part}.g.cs</c>:
/// <c>Aggregation</c> (Spec, State, Key, schema) in <c>Emitter.Aggregation.cs</c>; <c>Csv</c> and
/// <c>JsonLines</c> codecs in <c>Emitter.Codec.cs</c>.
/// </summary>
internal static partial class Emitter
{
    public static string HintName(TypeRef type, string part) => type.MetadataName + "." + part + ".g.cs";

    /// <summary>Opens the namespace (file-scoped) and the partial re-declaration of <paramref name="type"/>.</summary>
    private static SourceWriter Begin(TypeRef type)
    {
        var w = new SourceWriter().Header();
        if (type.Namespace.Length > 0)
        {
            w.Line("namespace " + type.Namespace + ";");
            w.Line();
        }
        return w;
    }

    private static string Literal(string text)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in text)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '"': sb.Append("\\\""); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ') sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    private static string Long(long value) => value.ToString(CultureInfo.InvariantCulture) + "L";

    private static string Camel(string name) => "@" + char.ToLowerInvariant(name[0]) + name.Substring(1);
}

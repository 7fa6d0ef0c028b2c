using System.Collections.Generic;
using System.Text;
using System.Threading;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

internal static partial class Parser
{
    private static readonly string[] s_roles = { "Key", "Sum", "Count", "Min", "Max", "Avg", "First", "Last", "WindowStart", "WindowEnd" };

    /// <summary>Parses one <c>[Aggregation]</c> declaration.</summary>
    public static AggregationResult ParseAggregation(GeneratorAttributeSyntaxContext context, CancellationToken ct)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var compilation = context.SemanticModel.Compilation;
        var known = new KnownSymbols(compilation);
        var attribute = context.Attributes[0];
        var attributeLocation = LocationOf(attribute, type, ct);
        var diagnostics = new List<DiagnosticInfo>();
        var typeRef = CheckDeclaration(type, attribute, "Aggregation", "its Spec, State and Csv", diagnostics, ct);
        var edge = new AggregationEdge(MetadataName(type), string.Empty, LocationInfo.From(attributeLocation));

        if (attribute.ConstructorArguments.Length == 0 || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol input || input.TypeKind == TypeKind.Error)
        {
            // The compiler already reports a missing or unresolved typeof.
            return new AggregationResult(null, edge, EquatableArray.From(diagnostics));
        }
        var inputIsEvent = HasAttribute(input, known.StreamEvent);
        var inputIsAggregation = HasAttribute(input, known.Aggregation);
        if (!inputIsEvent && !inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InputNotEventOrAggregation, attributeLocation, type.Name, ShortTypeName(input)));
        }
        if (inputIsAggregation) edge = edge with { InputAggregation = MetadataName(input) };

        var inputMembers = InstanceMembers(input);
        var eventTime = FindEventTime(input, inputIsAggregation && !inputIsEvent, known);
        var where = ParseWhere(type, input, inputMembers, known, diagnostics, ct);
        var keys = new List<KeyPartModel>();
        var aggregates = new List<AggregateModel>();
        var windowStart = string.Empty;
        var windowEnd = string.Empty;
        var rowMembers = InstanceMembers(type);
        foreach (var m in rowMembers)
        {
            ParseRowMember(m, type, input, inputIsAggregation, inputMembers, compilation, known, keys, aggregates, ref windowStart, ref windowEnd, diagnostics, ct);
        }
        var upstreamKeys = inputIsAggregation ? UpstreamIdentity(inputMembers, known) : new List<KeyPartModel>();
        var window = ParseWindow(type, known, eventTime, ShortTypeName(input), inputIsAggregation && !inputIsEvent, diagnostics, ct);
        var generated = new List<string> { "Spec", "State" };
        if (!HasAttribute(type, known.StreamEvent)) generated.Add("Csv");
        if (keys.Count > 1 || (keys.Count == 1 && keys[0].Kind == ValueKind.Enum)) generated.Add("Key");
        if (inputIsAggregation) generated.Add("UpstreamKey");
        CheckGeneratedNames(type, rowMembers, generated, diagnostics);

        if (typeRef is null || HasErrors(diagnostics))
        {
            return new AggregationResult(null, edge, EquatableArray.From(diagnostics));
        }
        var keyFields = new List<StateFieldModel>();
        foreach (var k in keys) keyFields.Add(new StateFieldModel(k.RowMember, k.TypeName, "Key", k.SourceMember));
        var stateFields = StateLayout(aggregates);
        var codec = HasAttribute(type, known.StreamEvent) ? null : BuildCodec(typeRef, rowMembers, known, jsonLines: false, diagnostics);
        var model = new AggregationModel(
            typeRef, TypeName(input), where, eventTime, EquatableArray.From(keys), EquatableArray.From(aggregates),
            windowStart, windowEnd, window, EquatableArray.From(keyFields), EquatableArray.From(stateFields),
            Fingerprint(keyFields, stateFields), codec, inputIsAggregation, EquatableArray.From(upstreamKeys));
        return new AggregationResult(model, edge, EquatableArray.From(diagnostics));
    }

    private static string MetadataName(INamedTypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat);

    private static string ParseWhere(
        INamedTypeSymbol type, INamedTypeSymbol input, List<MemberInfo> inputMembers, KnownSymbols known,
        List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var where = FindAttribute(type, known.Where);
        if (where is null) return string.Empty;
        var name = StringArgument(where, 0) ?? string.Empty;
        var location = LocationOf(where, type, ct);
        if (!TryFindMember(inputMembers, name, out var member))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, input.Name, name, "Where", type.Name));
            return string.Empty;
        }
        if (member.Type.SpecialType != SpecialType.System_Boolean)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WhereNotBool, location, type.Name, input.Name + "." + name, ShortTypeName(member.Type)));
            return string.Empty;
        }
        return name;
    }

    private static void ParseRowMember(
        MemberInfo m, INamedTypeSymbol type, INamedTypeSymbol input, bool inputIsAggregation, List<MemberInfo> inputMembers,
        Compilation compilation, KnownSymbols known, List<KeyPartModel> keys, List<AggregateModel> aggregates,
        ref string windowStart, ref string windowEnd, List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        INamedTypeSymbol?[] roleTypes = { known.Key, known.Sum, known.Count, known.Min, known.Max, known.Avg, known.First, known.Last, known.WindowStart, known.WindowEnd };
        string? role = null;
        AttributeData? attribute = null;
        foreach (var a in m.Symbol.GetAttributes())
        {
            for (var r = 0; r < roleTypes.Length; r++)
            {
                if (!KnownSymbols.Is(a, roleTypes[r])) continue;
                if (role is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ConflictingMemberAttributes, LocationOf(a, m.Symbol, ct), type.Name + "." + m.Name, role, s_roles[r]));
                    return;
                }
                role = s_roles[r];
                attribute = a;
            }
        }
        if (role is null) return;
        var location = LocationOf(attribute, m.Symbol, ct);
        var qualified = type.Name + "." + m.Name;
        if (!m.Writable)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RowMemberNotWritable, location, qualified));
            return;
        }
        var rowKind = KindOf(m.Type, known, out var underlying);
        var rowType = ShortTypeName(m.Type);
        if (role is "WindowStart" or "WindowEnd")
        {
            if (rowKind != ValueKind.Int64)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.WindowBoundType, location, role, qualified, rowType));
            }
            else if (role == "WindowStart") windowStart = m.Name;
            else windowEnd = m.Name;
            return;
        }
        if (role == "Count")
        {
            if (rowKind is ValueKind.Int64 or ValueKind.Single or ValueKind.Double or ValueKind.Decimal)
                aggregates.Add(new AggregateModel(AggregateOp.Count, m.Name, TypeName(m.Type), rowKind, string.Empty));
            else
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType, "a [Count] (a 64-bit count)", "long"));
            return;
        }

        var sourceName = StringArgument(attribute!, 0) ?? m.Name;
        if (!TryFindMember(inputMembers, sourceName, out var source))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MemberNotFound, location, input.Name, sourceName, role, qualified));
            return;
        }
        var sourceKind = KindOf(source.Type, known, out _);
        var sourceType = ShortTypeName(source.Type);
        var sourceQualified = input.Name + "." + sourceName;
        if (role == "Key")
        {
            if (rowKind is not (ValueKind.Boolean or ValueKind.Char or ValueKind.Enum) && !IsInteger(rowKind))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedKeyType, location, qualified, rowType));
                return;
            }
            if (!Holds(compilation, source.Type, m.Type))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType,
                    $"the key '{sourceQualified}' of type '{sourceType}'", $"'{sourceType}'"));
                return;
            }
            foreach (var k in keys)
            {
                if (k.SourceMember == sourceName)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateKey, location, qualified, sourceQualified, type.Name + "." + k.RowMember));
                    return;
                }
            }
            keys.Add(new KeyPartModel(m.Name, sourceName, TypeName(m.Type), rowKind, underlying));
            return;
        }

        var op = role switch
        {
            "Sum" => AggregateOp.Sum,
            "Min" => AggregateOp.Min,
            "Max" => AggregateOp.Max,
            "Avg" => AggregateOp.Avg,
            "First" => AggregateOp.First,
            _ => AggregateOp.Last,
        };
        if (op is AggregateOp.First or AggregateOp.Last && inputIsAggregation)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FirstLastOverUpserts, location, role, qualified, input.Name));
            return;
        }
        if (op is AggregateOp.Sum or AggregateOp.Min or AggregateOp.Max or AggregateOp.Avg && !IsNumeric(sourceKind))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AggregateOverNonNumeric, location, role, qualified, sourceQualified, sourceType));
            return;
        }
        bool holds;
        string suggestion;
        if (op == AggregateOp.Avg)
        {
            var accumulator = compilation.GetSpecialType(rowKind == ValueKind.Decimal ? SpecialType.System_Decimal : SpecialType.System_Double);
            holds = rowKind is ValueKind.Single or ValueKind.Double or ValueKind.Decimal && Holds(compilation, source.Type, accumulator);
            suggestion = sourceKind == ValueKind.Decimal ? "decimal" : "double";
        }
        else
        {
            holds = (op is AggregateOp.First or AggregateOp.Last ? source.Type.IsUnmanagedType : IsNumeric(rowKind)) && Holds(compilation, source.Type, m.Type);
            suggestion = $"'{sourceType}' or a wider type";
        }
        if (!holds)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputCannotHold, location, qualified, rowType,
                $"the [{role}] of '{sourceQualified}' ('{sourceType}') without narrowing", suggestion));
            return;
        }
        aggregates.Add(new AggregateModel(op, m.Name, TypeName(m.Type), rowKind, sourceName));
    }

    /// <summary>
    /// What identifies a row of an upstream aggregation: its <c>[Key]</c> members and its
    /// <c>[WindowStart]</c>, in declaration order. Rows with equal identities revise one another.
    /// Members of types the upstream cannot key by are its own diagnostics, so they are skipped here.
    /// </summary>
    private static List<KeyPartModel> UpstreamIdentity(List<MemberInfo> inputMembers, KnownSymbols known)
    {
        var parts = new List<KeyPartModel>();
        foreach (var m in inputMembers)
        {
            if (!HasAttribute(m.Symbol, known.Key) && !HasAttribute(m.Symbol, known.WindowStart)) continue;
            var kind = KindOf(m.Type, known, out var underlying);
            if (kind is not (ValueKind.Boolean or ValueKind.Char or ValueKind.Enum) && !IsInteger(kind)) continue;
            parts.Add(new KeyPartModel(m.Name, m.Name, TypeName(m.Type), kind, underlying));
        }
        return parts;
    }

    /// <summary>Whether a value of <paramref name="source"/> converts to <paramref name="destination"/> without a cast (identity or implicit numeric).</summary>
    private static bool Holds(Compilation compilation, ITypeSymbol source, ITypeSymbol destination)
    {
        var conversion = compilation.ClassifyCommonConversion(source, destination);
        return conversion.IsIdentity || (conversion.IsImplicit && conversion.IsNumeric);
    }

    private static List<StateFieldModel> StateLayout(List<AggregateModel> aggregates)
    {
        var fields = new List<StateFieldModel>();
        foreach (var a in aggregates)
        {
            switch (a.Op)
            {
                case AggregateOp.Sum: fields.Add(new(a.RowMember, a.RowTypeName, "Sum", a.SourceMember)); break;
                case AggregateOp.Count: fields.Add(new(a.RowMember, "long", "Count", string.Empty)); break;
                case AggregateOp.Min: fields.Add(new(a.RowMember, a.RowTypeName, "Min", a.SourceMember)); break;
                case AggregateOp.Max: fields.Add(new(a.RowMember, a.RowTypeName, "Max", a.SourceMember)); break;
                case AggregateOp.Avg:
                    fields.Add(new(a.RowMember + "_Sum", a.RowKind == ValueKind.Decimal ? "decimal" : "double", "AvgSum", a.SourceMember));
                    fields.Add(new(a.RowMember + "_Count", "long", "AvgCount", string.Empty));
                    break;
                case AggregateOp.First:
                    fields.Add(new(a.RowMember, a.RowTypeName, "First", a.SourceMember));
                    fields.Add(new(a.RowMember + "_Time", "long", "FirstTime", string.Empty));
                    break;
                case AggregateOp.Last:
                    fields.Add(new(a.RowMember, a.RowTypeName, "Last", a.SourceMember));
                    fields.Add(new(a.RowMember + "_Time", "long", "LastTime", string.Empty));
                    break;
            }
        }
        return fields;
    }

    /// <summary>FNV-1a (64-bit) over the canonical text of the key and state layouts; stable across builds and machines.</summary>
    internal static ulong Fingerprint(List<StateFieldModel> keyFields, List<StateFieldModel> stateFields)
    {
        var text = new StringBuilder("kernel-state/1\n");
        foreach (var f in keyFields) text.Append("key ").Append(f.Name).Append(' ').Append(f.TypeName).Append(' ').Append(f.Source).Append('\n');
        foreach (var f in stateFields) text.Append("state ").Append(f.Name).Append(' ').Append(f.TypeName).Append(' ').Append(f.Kind).Append(' ').Append(f.Source).Append('\n');
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text.ToString()))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}

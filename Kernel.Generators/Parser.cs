using System.Collections.Generic;
using System.Text;
using System.Threading;
using Kernel.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Kernel.Generators;

/// <summary>
/// Turns declarations into value models and diagnostics. Symbols are read here and nowhere
/// else; what leaves is strings, numbers and equatable arrays. Split by declaration kind:
/// <c>Parser.Event.cs</c>, <c>Parser.Aggregation.cs</c>, <c>Parser.Window.cs</c>.
/// </summary>
internal static partial class Parser
{
    /// <summary>A field or property of a struct, as the parser sees it.</summary>
    private readonly struct MemberInfo
    {
        public MemberInfo(ISymbol symbol, ITypeSymbol type, bool readable, bool writable)
        {
            Symbol = symbol;
            Type = type;
            Readable = readable;
            Writable = writable;
        }

        public ISymbol Symbol { get; }
        public ITypeSymbol Type { get; }
        public bool Readable { get; }
        public bool Writable { get; }
        public string Name => Symbol.Name;
    }

    private static List<MemberInfo> InstanceMembers(INamedTypeSymbol type)
    {
        var list = new List<MemberInfo>();
        foreach (var member in type.GetMembers())
        {
            if (member.IsStatic || member.IsImplicitlyDeclared) continue;
            switch (member)
            {
                case IFieldSymbol field when !field.IsConst:
                    list.Add(new MemberInfo(field, field.Type, true, !field.IsReadOnly));
                    break;
                case IPropertySymbol property when !property.IsIndexer:
                    var writable = property.SetMethod is { IsInitOnly: false } && !property.IsReadOnly;
                    list.Add(new MemberInfo(property, property.Type, property.GetMethod is not null, writable));
                    break;
            }
        }
        return list;
    }

    private static bool TryFindMember(List<MemberInfo> members, string name, out MemberInfo found)
    {
        foreach (var m in members)
        {
            if (m.Name == name && m.Readable)
            {
                found = m;
                return true;
            }
        }
        found = default;
        return false;
    }

    private static AttributeData? FindAttribute(ISymbol symbol, INamedTypeSymbol? attributeType)
    {
        foreach (var a in symbol.GetAttributes())
        {
            if (KnownSymbols.Is(a, attributeType)) return a;
        }
        return null;
    }

    private static bool HasAttribute(ISymbol symbol, INamedTypeSymbol? attributeType) => FindAttribute(symbol, attributeType) is not null;

    private static Location? LocationOf(AttributeData? attribute, ISymbol fallback, CancellationToken ct)
    {
        var syntax = attribute?.ApplicationSyntaxReference?.GetSyntax(ct);
        if (syntax is not null) return syntax.GetLocation();
        return fallback.Locations.Length > 0 ? fallback.Locations[0] : null;
    }

    private static string? StringArgument(AttributeData attribute, int index)
        => attribute.ConstructorArguments.Length > index ? attribute.ConstructorArguments[index].Value as string : null;

    private static string? NamedString(AttributeData attribute, string name)
    {
        foreach (var pair in attribute.NamedArguments)
        {
            if (pair.Key == name) return pair.Value.Value as string;
        }
        return null;
    }

    private static string TypeName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    private static string ShortTypeName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);

    /// <summary>Checks a declaration can be extended (top-level, non-generic, partial struct) and names it.</summary>
    private static TypeRef? CheckDeclaration(
        INamedTypeSymbol type, AttributeData attribute, string attributeName, string adds,
        List<DiagnosticInfo> diagnostics, CancellationToken ct)
    {
        var location = LocationOf(attribute, type, ct);
        if (type.TypeKind != TypeKind.Struct || type.ContainingType is not null || type.IsGenericType)
        {
            // A class carrying [StreamEvent] is reported as not unmanaged instead (KRN0002).
            if (!(type.TypeKind == TypeKind.Class && attributeName == "StreamEvent"))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotTopLevelStruct, location, type.Name, attributeName));
            }
            return null;
        }
        var partial = false;
        foreach (var reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(ct) is TypeDeclarationSyntax declaration && declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                partial = true;
                break;
            }
        }
        if (!partial)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.TypeNotPartial, location, type.Name, adds));
            return null;
        }
        var ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : string.Empty;
        return new TypeRef(ns, type.Name, TypeName(type), type.IsRecord);
    }

    private static ValueKind KindOf(ITypeSymbol type, KnownSymbols known, out string enumUnderlying)
    {
        enumUnderlying = string.Empty;
        if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum, EnumUnderlyingType: { } underlying })
        {
            enumUnderlying = TypeName(underlying);
            return ValueKind.Enum;
        }
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return ValueKind.Boolean;
            case SpecialType.System_Char: return ValueKind.Char;
            case SpecialType.System_SByte: return ValueKind.SByte;
            case SpecialType.System_Byte: return ValueKind.Byte;
            case SpecialType.System_Int16: return ValueKind.Int16;
            case SpecialType.System_UInt16: return ValueKind.UInt16;
            case SpecialType.System_Int32: return ValueKind.Int32;
            case SpecialType.System_UInt32: return ValueKind.UInt32;
            case SpecialType.System_Int64: return ValueKind.Int64;
            case SpecialType.System_UInt64: return ValueKind.UInt64;
            case SpecialType.System_Single: return ValueKind.Single;
            case SpecialType.System_Double: return ValueKind.Double;
            case SpecialType.System_Decimal: return ValueKind.Decimal;
            case SpecialType.System_DateTime: return ValueKind.DateTime;
        }
        if (SymbolEqualityComparer.Default.Equals(type, known.DateTimeOffset)) return ValueKind.DateTimeOffset;
        return ValueKind.Unsupported;
    }

    private static bool IsNumeric(ValueKind kind) => kind >= ValueKind.SByte && kind <= ValueKind.Decimal;

    private static bool IsInteger(ValueKind kind) => kind >= ValueKind.SByte && kind <= ValueKind.UInt64;

    /// <summary>The CSV/JSON columns of a type: its settable members of supported types.</summary>
    private static CodecModel BuildCodec(
        TypeRef typeRef, List<MemberInfo> members, KnownSymbols known, bool sourceParsers,
        List<DiagnosticInfo> diagnostics)
    {
        var columns = new List<ColumnModel>();
        foreach (var m in members)
        {
            if (!m.Writable || !m.Readable) continue;
            var kind = KindOf(m.Type, known, out var underlying);
            if (kind is ValueKind.Unsupported or ValueKind.Char)
            {
                var location = m.Symbol.Locations.Length > 0 ? m.Symbol.Locations[0] : null;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ColumnTypeNotSupported, location, typeRef.Name + "." + m.Name, ShortTypeName(m.Type)));
                continue;
            }
            var column = FindAttribute(m.Symbol, known.Column);
            var explicitName = column is not null ? StringArgument(column, 0) : null;
            columns.Add(new ColumnModel(
                m.Name, TypeName(m.Type), kind, underlying,
                explicitName ?? SnakeCase(m.Name), explicitName is not null,
                HasAttribute(m.Symbol, known.EventTime)));
        }
        return new CodecModel(typeRef, EquatableArray.From(columns), sourceParsers);
    }

    /// <summary><c>PriceCents</c> → <c>price_cents</c>, <c>OrderID</c> → <c>order_id</c>, <c>TimestampMs</c> → <c>timestamp_ms</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var prevLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var acronymEnd = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((prevLowerOrDigit || acronymEnd) && sb.Length > 0 && sb[sb.Length - 1] != '_') sb.Append('_');
                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }
}

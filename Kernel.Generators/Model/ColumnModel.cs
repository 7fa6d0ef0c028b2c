namespace Kernel.Generators.Model;

/// <summary>
/// One CSV column / JSON property of a generated codec: a settable member of a supported type.
/// </summary>
/// <param name="Member">The member name.</param>
/// <param name="TypeName">The member type, <c>global::</c>-qualified or a keyword.</param>
/// <param name="Kind">The member type's kind.</param>
/// <param name="EnumUnderlying">The underlying integer type of an enum member (a keyword), else empty.</param>
/// <param name="ColumnName">The written column name (<c>[Column]</c> or snake_case).</param>
/// <param name="ExplicitName">Whether the name came from <c>[Column]</c>.</param>
/// <param name="IsEventTime">Whether the member carries <c>[EventTime]</c> (a long then accepts ISO-8601 text too).</param>
internal sealed record ColumnModel(
    string Member,
    string TypeName,
    ValueKind Kind,
    string EnumUnderlying,
    string ColumnName,
    bool ExplicitName,
    bool IsEventTime);

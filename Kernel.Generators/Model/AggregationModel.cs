namespace Kernel.Generators.Model;

/// <summary>Everything the emitter needs for one <c>[Aggregation]</c>.</summary>
/// <param name="Type">The row type.</param>
/// <param name="InputFullName">The input type, <c>global::</c>-qualified.</param>
/// <param name="WhereMember">The <c>[Where]</c> member of the input, or empty.</param>
/// <param name="EventTime">The input's event time, or null when it has none.</param>
/// <param name="Keys">The key components, in row declaration order.</param>
/// <param name="Aggregates">The aggregated members, in row declaration order.</param>
/// <param name="WindowStartMember">The <c>[WindowStart]</c> row member, or empty.</param>
/// <param name="WindowEndMember">The <c>[WindowEnd]</c> row member, or empty.</param>
/// <param name="Window">The window settings.</param>
/// <param name="KeyFields">The key layout (schema).</param>
/// <param name="StateFields">The state layout (schema).</param>
/// <param name="Fingerprint">FNV-1a of the layouts.</param>
/// <param name="RowCodec">The CSV writer/reader of rows, or null when the row is also a <c>[StreamEvent]</c>.</param>
/// <param name="IsUpsert">Whether the input is another aggregation's rows (consumed as upserts).</param>
/// <param name="Sketches">The sketch members (kept in the side state), in row declaration order.</param>
/// <param name="UpstreamKeys">The upstream row's identity (its keys and window start) when <paramref name="IsUpsert"/>.</param>
internal sealed record AggregationModel(
    TypeRef Type,
    string InputFullName,
    string WhereMember,
    EventTimeModel? EventTime,
    EquatableArray<KeyPartModel> Keys,
    EquatableArray<AggregateModel> Aggregates,
    string WindowStartMember,
    string WindowEndMember,
    WindowModel Window,
    EquatableArray<StateFieldModel> KeyFields,
    EquatableArray<StateFieldModel> StateFields,
    ulong Fingerprint,
    CodecModel? RowCodec,
    bool IsUpsert,
    EquatableArray<KeyPartModel> UpstreamKeys,
    EquatableArray<SketchModel> Sketches)
{
    /// <summary>A generated <c>Key</c> struct is needed for composite keys and enum keys (enums are not <c>IEquatable</c>).</summary>
    public bool NeedsKeyStruct => Keys.Count > 1 || (Keys.Count == 1 && Keys[0].Kind == ValueKind.Enum);

    /// <summary>Retract undoes Update exactly: every aggregate is a sum, a count or an average.</summary>
    public bool Invertible
    {
        get
        {
            foreach (var a in Aggregates)
            {
                if (a.Op is not (AggregateOp.Sum or AggregateOp.Count or AggregateOp.Avg)) return false;
            }
            return true;
        }
    }
}

namespace Kernel.Generators.Model;

/// <summary>One sketch member of a row: its state is a handle into the generated side state.</summary>
/// <param name="Op">DistinctCount, Sample or TopK.</param>
/// <param name="RowMember">The row member (the handle field is <c>{RowMember}_Sketch</c>).</param>
/// <param name="SourceMember">DistinctCount: the member counted; TopK: the <c>By</c> member; Sample: empty.</param>
/// <param name="SourceKind">The kind of <paramref name="SourceMember"/> (how a DistinctCount hashes it).</param>
/// <param name="Size">DistinctCount: the precision; Sample: k items; TopK: k keys.</param>
/// <param name="Seed">Sample: the seed; else 0.</param>
/// <param name="KeyTypeName">TopK: the ranked upstream key type and member; else empty.</param>
/// <param name="KeyMember">TopK: the input's key member; else empty.</param>
/// <param name="ValueTypeName">TopK: the type of <c>By</c>; else empty.</param>
internal sealed record SketchModel(
    AggregateOp Op,
    string RowMember,
    string SourceMember,
    ValueKind SourceKind,
    int Size,
    long Seed,
    string KeyTypeName,
    string KeyMember,
    string ValueTypeName);

namespace Kernel;

/// <summary>
/// The exact top k rows of another aggregation (the input), ranked by the numeric member
/// <see cref="By"/>, per key of this aggregation. The input's rows are upserts, so each upstream
/// key holds its latest value. The row member is a <c>Kernel.Sketches.Leaderboard&lt;TUpstreamKey, TValue&gt;</c>
/// (TUpstreamKey: the input's single <c>[Key]</c> type; TValue: the type of <see cref="By"/>), read
/// with <c>CopyTop</c> while the row is handed to its reader.
/// </summary>
[AttributeUsage(AttributeTargets.Field | AttributeTargets.Property, Inherited = false)]
public sealed class TopKAttribute : Attribute
{
    /// <summary>Declares a top-<paramref name="k"/> leaderboard.</summary>
    /// <param name="k">How many keys are ranked (≥ 1; KRN0023 otherwise).</param>
    public TopKAttribute(int k) => K = k;

    /// <summary>How many keys are ranked.</summary>
    public int K { get; }

    /// <summary>The numeric member of the input rows to rank by (use <c>nameof</c>).</summary>
    public string By { get; set; } = string.Empty;
}

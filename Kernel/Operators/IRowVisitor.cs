namespace Kernel.Operators;

/// <summary>
/// Receives rows read from an operator's live state (queries). A struct type argument, so the
/// operator calls it without interface dispatch.
/// </summary>
/// <typeparam name="TRow">The aggregation's row type.</typeparam>
public interface IRowVisitor<TRow>
{
    /// <summary>Receives one row; it is valid only during the call.</summary>
    void Visit(in TRow row);
}

namespace Kernel.Operators;

/// <summary>
/// Receives the rows an operator emits. Called on the operator's thread, once per emitted row
/// (never per input event except in <see cref="EmitMode.EveryUpdate"/>); the row is valid only
/// during the call.
/// </summary>
/// <typeparam name="TRow">The aggregation's row type.</typeparam>
public interface IRowSink<TRow>
{
    /// <summary>Receives one row and what it revises.</summary>
    void OnRow(in TRow row, in RowRevision revision);
}

namespace Kernel.Sinks;

/// <summary>Receives the rows of one committed epoch, in the order they were written.</summary>
/// <typeparam name="TRow">The row type.</typeparam>
/// <param name="epoch">The epoch (checkpoint id) that was committed.</param>
/// <param name="rows">The epoch's rows; valid only during the call.</param>
public delegate void CommittedRowsHandler<TRow>(long epoch, ReadOnlySpan<TRow> rows);

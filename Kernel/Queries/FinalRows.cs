using Kernel.Operators;

namespace Kernel.Queries;

/// <summary>
/// The finalized results of an operator, queryable from any thread: a row sink that keeps every
/// row emitted as final (and passes every row on to an inner sink, if any). Append-only and
/// lock-free: the operator's thread writes a row into the array and then publishes the new count;
/// a reader takes the count, then the array, and sees exactly that many rows — a prefix of the
/// output, never torn. <see cref="Count"/> is the sequence of that view.
/// </summary>
/// <typeparam name="TRow">The aggregation's row type.</typeparam>
public sealed class FinalRows<TRow> : IRowSink<TRow>
{
    private readonly IRowSink<TRow>? _inner;
    private readonly AppendOnlyPrefix<TRow> _rows = new(64);

    /// <summary>Creates the store.</summary>
    /// <param name="inner">Receives every row as well (final or not); may be null.</param>
    public FinalRows(IRowSink<TRow>? inner = null) => _inner = inner;

    /// <summary>Final rows kept so far: the sequence of what a reader sees.</summary>
    public int Count => _rows.Count;

    /// <inheritdoc/>
    public void OnRow(in TRow row, in RowRevision revision)
    {
        _inner?.OnRow(row, revision);
        if (revision.IsFinal) _rows.Add(row);
    }

    /// <summary>The final rows so far, in emission order (an immutable prefix: later rows never change it).</summary>
    public ReadOnlyMemory<TRow> Snapshot() => _rows.Snapshot();

    /// <summary>The final rows matching <paramref name="predicate"/>, and the count they were taken at.</summary>
    public List<TRow> Where(Func<TRow, bool> predicate, out int sequence)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var snapshot = Snapshot();
        sequence = snapshot.Length;
        var result = new List<TRow>();
        foreach (var row in snapshot.Span)
            if (predicate(row)) result.Add(row);
        return result;
    }
}

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
    // Replaced (grown by copying) by the writer before the count that needs it is published;
    // a reader that read a count reads an array at least that long (Volatile.Read of the count
    // first, then of the array: release/acquire pairs with the writer's order).
    private TRow[] _rows = new TRow[64];
    private int _count;

    /// <summary>Creates the store.</summary>
    /// <param name="inner">Receives every row as well (final or not); may be null.</param>
    public FinalRows(IRowSink<TRow>? inner = null) => _inner = inner;

    /// <summary>Final rows kept so far: the sequence of what a reader sees.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <inheritdoc/>
    public void OnRow(in TRow row, in RowRevision revision)
    {
        _inner?.OnRow(row, revision);
        if (!revision.IsFinal) return;
        var rows = _rows;
        var n = _count;
        if (n == rows.Length)
        {
            Array.Resize(ref rows, rows.Length * 2);
            Volatile.Write(ref _rows, rows);
        }
        rows[n] = row;
        Volatile.Write(ref _count, n + 1);
    }

    /// <summary>The final rows so far, in emission order (an immutable prefix: later rows never change it).</summary>
    public ReadOnlyMemory<TRow> Snapshot()
    {
        var n = Volatile.Read(ref _count);
        var rows = Volatile.Read(ref _rows);
        return rows.AsMemory(0, n);
    }

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

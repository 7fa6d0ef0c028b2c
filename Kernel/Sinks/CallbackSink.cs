using System.Runtime.InteropServices;

namespace Kernel.Sinks;

/// <summary>
/// An in-process sink that hands rows to a callback only when the checkpoint covering them
/// completes: the callback never sees a row that a crash could take back. Rows wait in memory, so
/// after a crash an epoch that was complete but not yet delivered is not delivered (the callback's
/// process died with it); a consumer that needs more stages durably through <see cref="TransactionalFileSink{TRow}"/>.
/// </summary>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed class CallbackSink<TRow> : ITransactionalSink<TRow>
{
    private readonly CommittedRowsHandler<TRow> _onCommitted;

    // Writer thread only.
    private List<TRow> _open = [];

    // Sealed epochs awaiting commit or abort, and emptied lists for reuse. Guarded by _lock.
    private readonly Lock _lock = new();
    private readonly SortedDictionary<long, List<TRow>> _sealed = [];
    private readonly Stack<List<TRow>> _spare = new();

    // Serializes deliveries so the callback sees epochs one at a time, in order.
    private readonly Lock _deliveryLock = new();

    /// <summary>Creates the sink.</summary>
    /// <param name="name">The sink's name in manifests.</param>
    /// <param name="onCommitted">Called once per committed epoch with its rows, in epoch order, on the committing thread.</param>
    public CallbackSink(string name, CommittedRowsHandler<TRow> onCommitted)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(onCommitted);
        Name = name;
        _onCommitted = onCommitted;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public void Write(in TRow row) => _open.Add(row);

    /// <inheritdoc />
    public void SealEpoch(long epoch)
    {
        lock (_lock)
        {
            if (!_sealed.TryAdd(epoch, _open))
                throw new InvalidOperationException($"sink '{Name}': epoch {epoch} is already sealed");
            _open = _spare.Count > 0 ? _spare.Pop() : [];
        }
    }

    /// <inheritdoc />
    public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken)
    {
        bool sealedAlready;
        lock (_lock) sealedAlready = _sealed.ContainsKey(epoch);
        if (!sealedAlready) SealEpoch(epoch);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_deliveryLock)
        {
            while (TakeFirstUpTo(epoch, out var first, out var rows))
            {
                try
                {
                    _onCommitted(first, CollectionsMarshal.AsSpan(rows));
                }
                finally
                {
                    rows.Clear();
                    lock (_lock) _spare.Push(rows);
                }
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_sealed.Remove(epoch, out var rows))
            {
                rows.Clear();
                _spare.Push(rows);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken)
    {
        // Nothing is staged durably: every uncommitted row is dropped and will be produced again by replay.
        lock (_lock)
        {
            _sealed.Clear();
            _open.Clear();
        }
        return ValueTask.CompletedTask;
    }

    private bool TakeFirstUpTo(long epoch, out long first, out List<TRow> rows)
    {
        lock (_lock)
        {
            foreach (var (e, r) in _sealed)
            {
                if (e > epoch) break;
                _sealed.Remove(e);
                (first, rows) = (e, r);
                return true;
            }
        }
        (first, rows) = (0, null!);
        return false;
    }
}

using System.Runtime.CompilerServices;

namespace Kernel.Operators;

// The change sink of the unwindowed keyed aggregation: what lets another aggregation (an UpsertAggregator,
// e.g. a leaderboard over RevenueByProduct) or any subscriber follow its rows live. Once per batch — an
// OnBatch call, cut at each barrier and end of input, an Apply call, a parallel run's merge — every key
// changed since the previous emission is sent once, with its current row: updates of a key within a batch
// collapse into one row. The table tracks the changed keys itself (StateTable.Dirty.cs, "changes for a
// change sink"), beside the checkpoint's dirty list and without disturbing it: the per-event loops are the
// same with or without a sink; with one, a key's first event after an emission takes the loops' slow path
// (as its first event after a checkpoint barrier does), which lists it. Without a sink the operator pays
// one null test per batch and the table one store per new key.
public sealed partial class KeyedAggregator<TEvent, TKey, TState, TRow, TSpec>
{
    private readonly IRowSink<TRow>? _changes;
    private int _changeRound;    // the revision of the next emission's rows
    private long _rowsEmitted;

    /// <summary>Creates the operator with an empty state, the given settings and a sink for its changes.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="changes">
    /// Receives, once per batch, the current row of every key changed since the previous emission (a key
    /// updated many times within a batch is sent once); null for none (then the operator does no work for
    /// it). Rows come on the operator's thread, at the end of each batch (<see cref="OnBatch"/>,
    /// <see cref="Apply"/>), before a barrier or end of input reaches <see cref="KeyedAggregatorOptions.Control"/>,
    /// and from <see cref="FlushChanges"/>; see <see cref="FlushChanges"/> for the revision they carry. An
    /// <see cref="UpsertAggregator{TEvent, TUpstreamKey, TKey, TState, TRow, TSpec}"/> over this aggregation's
    /// rows is such a sink: it follows this operator live, counting each key once with its latest row.
    /// The sink must not feed this operator (it may read it: <see cref="TryGet"/>).
    /// </param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range, or a state budget is set without what it needs (the message says which).</exception>
    public KeyedAggregator(KeyedAggregatorOptions options, IRowSink<TRow>? changes)
        : this(options)
    {
        if (changes is null) return;
        _changes = changes;
        _table.TrackChanges();
    }

    /// <summary>The sink of this operator's changes; null when it has none.</summary>
    public IRowSink<TRow>? Changes => _changes;

    /// <summary>True when the table tracks changes for a sink (for tests: false without one).</summary>
    internal bool TableTracksChanges => _table.TracksChanges;

    /// <summary>Rows sent to the change sink so far.</summary>
    public long ChangesEmitted => _rowsEmitted;

    /// <summary>
    /// Sends the change sink the current row of every key changed since the previous emission, each once.
    /// The operator does so by itself at the end of every batch and before a barrier or end of input; call it
    /// after a restore (whose keys all count as changed, so that a downstream that was not restored with this
    /// operator gets every row again; keys left spilled in the LSM store are not re-sent) when no batch follows.
    /// Does nothing without a sink. Call it on the thread that owns the operator, between batches.
    /// </summary>
    /// <remarks>
    /// Each row carries a <see cref="RowRevision"/> with no window (start and end 0), <see cref="RowRevision.IsFinal"/>
    /// false (an unwindowed row can always change again), the operator's watermark, and as
    /// <see cref="RowRevision.Revision"/> the number of earlier emissions that sent rows (0 for the first; it
    /// stops at <see cref="int.MaxValue"/>): a key's later row has a higher revision, but a key's first row need
    /// not be revision 0, and revisions restart at 0 in a new process. A consumer keeps a key's last row in
    /// arrival order, as an upsert.
    /// </remarks>
    public void FlushChanges()
    {
        if (_changes is not null) EmitChanges();
    }

    /// <summary>Sends every pending change to the sink (which is set).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void EmitChanges()
    {
        var sink = _changes!;
        var revision = new RowRevision(0, 0, _changeRound, false, _watermark);
        long emitted = 0;
        foreach (ref var entry in _table.TakeChanges())
        {
            TSpec.ToRow(entry.Key, entry.State, 0, 0, out TRow row);
            if (TSpec.HasSideState) TSpec.SideToRow(_side!, entry.State, ref row);   // [side-state]
            emitted++;
            sink.OnRow(in row, in revision);
        }
        if (emitted == 0) return;
        _rowsEmitted += emitted;
        if (_changeRound < int.MaxValue) _changeRound++;
    }
}

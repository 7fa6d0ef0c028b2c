using Kernel.Checkpoints;
using Kernel.Ring;
using Kernel.Storage.Log;

namespace Kernel.Journal;

/// <summary>
/// The journal as a ring handler and a checkpoint participant. It hands every batch to a
/// <see cref="JournalHandler{T, TTime}"/>, cutting batches at barriers: when barrier N has been
/// journaled (the handler flushes the log there), the log's end offset is exactly the journal offset
/// of the checkpoint — every record before it is an event before the barrier — and is handed to
/// <see cref="SnapshotAsync"/> with the last source position per source. The snapshot completes once
/// the journal is durable through the barrier's sequence, and records the offset and the positions.
/// With a handler that does not flush at barriers (<see cref="JournalHandler{T, TTime}.FlushAtBarriers"/>
/// off, as a durable pipeline makes it) the snapshot flushes the log itself, on a pool thread, while
/// the journal's thread goes on journaling the events after the barrier.
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
/// <typeparam name="TTime">Reads an event's time.</typeparam>
public sealed class JournalParticipant<T, TTime> : IBatchHandler<T>, ICheckpointParticipant
    where T : unmanaged
    where TTime : struct, IEventTimestamp<T>
{
    private readonly JournalHandler<T, TTime> _handler;
    private readonly SegmentedLog _log;
    private readonly BarrierRendezvous<Mark> _rendezvous = new();
    // Handler thread only: the position of the last event seen per source id (-1: none yet).
    private long[] _positions = [];

    /// <summary>Wraps <paramref name="handler"/>, which journals into <paramref name="log"/>.</summary>
    /// <param name="name">The participant's name.</param>
    /// <param name="handler">The journal handler.</param>
    /// <param name="log">The log the handler writes.</param>
    public JournalParticipant(string name, JournalHandler<T, TTime> handler, SegmentedLog log)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(log);
        Name = name;
        _handler = handler;
        _log = log;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The journal handler.</summary>
    public JournalHandler<T, TTime> Handler => _handler;

    /// <summary>The journal offset the restored checkpoint recorded (replay starts here); 0 before a restore.</summary>
    public long RestoredOffset { get; private set; }

    /// <summary>The source positions the restored checkpoint recorded.</summary>
    public IReadOnlyDictionary<int, long> RestoredPositions { get; private set; } = new Dictionary<int, long>();

    /// <summary>Seeds the last known position of a source (recovery does, from the replayed journal), so a checkpoint before that source's next event still records it.</summary>
    public void SeedPosition(int sourceId, long position)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceId);
        Grow(sourceId);
        _positions[sourceId] = position;
    }

    /// <inheritdoc />
    public void OnBatch(ReadOnlySpan<RingEntry<T>> entries, long firstSequence)
    {
        var from = 0;
        for (var i = 0; i < entries.Length; i++)
        {
            ref readonly var entry = ref entries[i];
            if (entry.Kind == EntryKind.Event)
            {
                var source = entry.SourceId;
                if ((uint)source >= (uint)_positions.Length) Grow(source);
                _positions[source] = entry.Value;
            }
            else if (entry.Kind == EntryKind.Barrier)
            {
                // Journal up to and including the barrier (the handler flushes there), then read the offset.
                _handler.OnBatch(entries[from..(i + 1)], firstSequence + from);
                from = i + 1;
                _rendezvous.Arrive(entry.Value, new Mark(firstSequence + i, _log.EndOffset, (long[])_positions.Clone()));
            }
        }
        if (from < entries.Length) _handler.OnBatch(entries[from..], firstSequence + from);
    }

    /// <inheritdoc />
    public async ValueTask SnapshotAsync(CheckpointContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var mark = await _rendezvous.WaitAsync(context.CheckpointId, cancellationToken).ConfigureAwait(false);
        // The barrier's batch was committed before the mark was handed over, so this flush covers it
        // (and whatever the journal appended since). Not on the caller's thread: the coordinator starts
        // the other participants' snapshots after this call returns its task.
        if (_handler.DurableSequence < mark.Sequence) await Task.Run(_handler.Flush, cancellationToken).ConfigureAwait(false);
        await _handler.WaitForDurableAsync(mark.Sequence, cancellationToken).ConfigureAwait(false);
        context.SetJournalOffset(mark.Offset);
        for (var s = 0; s < mark.Positions.Length; s++)
            if (mark.Positions[s] >= 0) context.SetSourcePosition(s, mark.Positions[s]);
    }

    /// <inheritdoc />
    public ValueTask RestoreAsync(CheckpointRestoreContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var offset = context.Manifest.JournalOffset;
        if (offset > _log.EndOffset)
            throw new InvalidDataException(
                $"checkpoint {context.Manifest.CheckpointId} needs the journal in {_log.Directory} through offset {offset}, but it ends at {_log.EndOffset}: the journal lost records the checkpoint made durable");
        if (offset < _log.StartOffset)
            throw new InvalidDataException(
                $"checkpoint {context.Manifest.CheckpointId} replays the journal in {_log.Directory} from offset {offset}, but it starts at {_log.StartOffset} (removed by retention)");
        RestoredOffset = offset;
        RestoredPositions = context.Manifest.SourcePositions;
        foreach (var (source, position) in context.Manifest.SourcePositions) SeedPosition(source, position);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(long checkpointId, CancellationToken cancellationToken)
    {
        _rendezvous.Forget(checkpointId);
        return ValueTask.CompletedTask;
    }

    private void Grow(int source)
    {
        if (source < _positions.Length) return;
        var old = _positions.Length;
        Array.Resize(ref _positions, source + 1);
        Array.Fill(_positions, -1, old, _positions.Length - old);
    }

    private sealed record Mark(long Sequence, long Offset, long[] Positions);
}

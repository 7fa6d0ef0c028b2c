using Kernel.Journal;
using Kernel.Ring;
using Kernel.Storage.Log;

namespace Kernel.Modes;

/// <summary>
/// Kappa backfill: a fresh instance of a pipeline (a new version of an aggregation, after a bug
/// fix) replays the journal from an offset with stream semantics at full speed, writing a new
/// output version, while the live pipeline keeps appending to the journal. When the replay catches
/// up with the tail it goes on live (a <see cref="JournalFollower{TEvent}"/>), and the switch-over
/// happens once, atomically: first the new output version is published (<see cref="OutputVersions.Publish"/>),
/// then queries move to the new view (<see cref="ServingView{T}.Switch"/>). A reader sees the old
/// version or the new one, never a mix.
/// <code>
///  journal ──► live pipeline (v1) ──► v1 output ┐
///        └───► backfill (v2): replay from offset ┴─► caught up: publish v2 output, switch serving view to v2
/// </code>
/// </summary>
/// <typeparam name="TEvent">The journaled event.</typeparam>
/// <typeparam name="TView">The view type served (e.g. a <c>WindowedStateView</c>); the new instance is also the handler the journal is fed to.</typeparam>
public sealed class Backfill<TEvent, TView>
    where TEvent : unmanaged
    where TView : class, IBatchHandler<TEvent>
{
    private readonly TView _next;
    private readonly ServingView<TView> _serving;
    private readonly OutputVersions? _outputs;
    private readonly long _outputVersion;
    private readonly TaskCompletionSource<long> _switched = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Prepares a backfill of <paramref name="journal"/> from <paramref name="fromOffset"/> into <paramref name="next"/>.</summary>
    /// <param name="journal">The live pipeline's journal (the same open log: the live pipeline appends, the backfill reads).</param>
    /// <param name="fromOffset">The first offset to replay (e.g. from <see cref="SegmentedLog.OpenReaderAtTime"/>: "the last 7 days").</param>
    /// <param name="next">The fresh instance, fed on the backfill's thread only.</param>
    /// <param name="serving">What queries are served from; switched to <paramref name="next"/> on catch-up.</param>
    /// <param name="outputs">The output versions, or null when the new instance writes no versioned output.</param>
    /// <param name="outputVersion">The version <paramref name="next"/>'s sinks write (from <see cref="OutputVersions.CreateNext"/>); published on catch-up.</param>
    public Backfill(SegmentedLog journal, long fromOffset, TView next, ServingView<TView> serving, OutputVersions? outputs = null, long outputVersion = 0)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(serving);
        if (outputs is not null) ArgumentOutOfRangeException.ThrowIfLessThan(outputVersion, 1);
        _next = next;
        _serving = serving;
        _outputs = outputs;
        _outputVersion = outputVersion;
        Follower = new JournalFollower<TEvent>(journal, fromOffset, next);
    }

    /// <summary>The follower feeding the new instance (its <see cref="JournalFollower{TEvent}.NextOffset"/> shows progress).</summary>
    public JournalFollower<TEvent> Follower { get; }

    /// <summary>Completes, with the serving version the new instance got, once the switch-over is done.</summary>
    public Task<long> Switched => _switched.Task;

    /// <summary>
    /// Replays, switches over when caught up, then follows the journal live until
    /// <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <returns>A task that completes with the records fed when stopped, or faults with the replay's error (no switch happens then).</returns>
    public async Task<long> RunAsync(CancellationToken cancellationToken)
    {
        var run = Follower.RunAsync(cancellationToken);
        try
        {
            await Follower.CaughtUp.ConfigureAwait(false);
            // Output first, then queries: once a reader is served the new view, the new output is current too.
            if (_outputs is not null) _outputs.Publish(_outputVersion);
            _switched.TrySetResult(_serving.Switch(_next));
        }
        catch (Exception e)
        {
            _switched.TrySetException(e);
        }
        return await run.ConfigureAwait(false);
    }

    /// <summary>
    /// A bounded backfill: the records at offsets [<paramref name="fromOffset"/>, <paramref name="toOffset"/>)
    /// fed to <paramref name="handler"/> with stream semantics (journal order, the operator's own
    /// watermark and lateness), then end of input for every source seen, so every window fires.
    /// Over a range without late events this equals a batch over the range (<see cref="BatchRunner.RunLog{TEvent, TTarget}"/>).
    /// </summary>
    /// <returns>The records fed.</returns>
    /// <exception cref="InvalidDataException">A record is not a journaled <typeparamref name="TEvent"/>; the message names its offset.</exception>
    public static long RunRange(SegmentedLog journal, long fromOffset, long toOffset, IBatchHandler<TEvent> handler, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentOutOfRangeException.ThrowIfNegative(fromOffset);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var end = Math.Min(toOffset, journal.EndOffset);
        var batch = new RingEntry<TEvent>[batchSize];
        var sources = new SortedSet<int>();
        long fed = 0;
        var n = 0;
        if (fromOffset < end)
        {
            using var reader = journal.OpenReader(fromOffset);
            while (reader.NextOffset < end && reader.TryRead(out var record))
            {
                ref var slot = ref batch[n];
                if (!JournalRecord.TryRead(record.Payload, out slot.Event, out var position, out var source))
                    throw new InvalidDataException(
                        $"journal {journal.Directory}: record at offset {record.Offset} has {record.Payload.Length} bytes, a journaled {typeof(TEvent).Name} has {JournalRecord.LengthOf<TEvent>()}");
                slot.Kind = EntryKind.Event;
                slot.SourceId = source;
                slot.Value = position;
                sources.Add(source);
                if (++n == batch.Length)
                {
                    handler.OnBatch(batch, fed);
                    fed += n;
                    n = 0;
                }
            }
        }
        if (sources.Count == 0) sources.Add(0);
        // End of input per source, in the same call as the last events: the watermark goes to +∞.
        if (n + sources.Count > batch.Length)
        {
            handler.OnBatch(batch.AsSpan(0, n), fed);
            fed += n;
            n = 0;
            if (sources.Count > batch.Length) Array.Resize(ref batch, sources.Count);
        }
        var events = n;
        foreach (var source in sources)
        {
            ref var slot = ref batch[n++];
            slot.Kind = EntryKind.EndOfInput;
            slot.SourceId = source;
            slot.Value = 0;
            slot.Event = default;
        }
        handler.OnBatch(batch.AsSpan(0, n), fed);
        return fed + events;
    }
}

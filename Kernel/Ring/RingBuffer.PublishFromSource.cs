using System.Runtime.CompilerServices;

namespace Kernel.Ring;

// Publishing events that carry a source id (and source positions): several sources into one ring.
// The source-0 overloads in RingBuffer.Publish.cs keep their own fast paths; these fill slot by slot.
public sealed partial class RingBuffer<T>
{
    /// <summary>Publishes one event read by <paramref name="sourceId"/> at <paramref name="position"/> if there is room now; false (nothing published) when the ring is full.</summary>
    public bool TryPublish(in T item, int sourceId, long position)
    {
        var multi = _multi;
        if (multi is not null)
        {
            if (!multi.TryNext(1, out var claimed, out var contended))
                return false;
            FillEvent(ref SlotAt(claimed), item, sourceId, position);
            multi.Publish(claimed, contended);
            return true;
        }
        if (!TryNext(1, out var sequence))
            return false;
        FillEvent(ref SlotAt(sequence), item, sourceId, position);
        PublishRange(sequence, sequence);
        return true;
    }

    /// <summary>
    /// Publishes one event read by <paramref name="sourceId"/> at <paramref name="position"/>, completing at once
    /// when there is room and otherwise waiting for it asynchronously (woken by the processors' progress).
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; nothing was published.</exception>
    public ValueTask PublishAsync(T item, int sourceId, long position, CancellationToken cancellationToken = default)
    {
        if (TryPublish(in item, sourceId, position))
            return default;
        return PublishAsyncSlow(item, sourceId, position, cancellationToken);
    }

    private async ValueTask PublishAsyncSlow(T item, int sourceId, long position, CancellationToken cancellationToken)
    {
        while (!TryPublish(in item, sourceId, position))
        {
            if (Sequencer.IsClosed)
                RingThrowHelper.ThrowHalted();
            cancellationToken.ThrowIfCancellationRequested();
            await Sequencer.RoomSignal.WaitAsync(new Sequencer.RoomCondition(Sequencer, 1), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Publishes the events of <paramref name="sourceId"/> in order, up to the ring size at a time, waiting for
    /// room as needed; <paramref name="positions"/> holds each event's source position (empty: all 0).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="positions"/> is neither empty nor as long as <paramref name="items"/>.</exception>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    public void Publish(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions = default)
    {
        CheckPositions(items.Length, positions.Length);
        var at = 0;
        while (at < items.Length)
        {
            var count = Math.Min(items.Length - at, BufferSize);
            var highest = Next(count);
            var lowest = highest - count + 1;
            FillEvents(lowest, items.Slice(at, count), sourceId, positions.IsEmpty ? default : positions.Slice(at, count));
            PublishRange(lowest, highest);
            at += count;
        }
    }

    /// <summary>
    /// Publishes as many events of <paramref name="sourceId"/> as fit now (all or a prefix, in order) and returns
    /// how many were published; never waits. <paramref name="positions"/> as for <see cref="Publish(ReadOnlySpan{T}, int, ReadOnlySpan{long})"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="positions"/> is neither empty nor as long as <paramref name="items"/>.</exception>
    public int TryPublish(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions = default)
    {
        CheckPositions(items.Length, positions.Length);
        var published = 0;
        while (published < items.Length)
        {
            var count = Math.Min(items.Length - published, BufferSize);
            if (!TryNext(count, out var highest))
            {
                // Less room than the whole chunk: take what fits, one at a time.
                while (published < items.Length && TryPublish(in items[published], sourceId, positions.IsEmpty ? 0 : positions[published]))
                    published++;
                return published;
            }
            var lowest = highest - count + 1;
            FillEvents(lowest, items.Slice(published, count), sourceId, positions.IsEmpty ? default : positions.Slice(published, count));
            PublishRange(lowest, highest);
            published += count;
        }
        return published;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FillEvents(long lowest, ReadOnlySpan<T> run, int sourceId, ReadOnlySpan<long> positions)
    {
        ref var first = ref FirstSlot;
        var mask = _indexMask;
        for (var i = 0; i < run.Length; i++)
        {
            ref var slot = ref Unsafe.Add(ref first, (int)((lowest + i) & mask));
            slot.Kind = EntryKind.Event;
            slot.SourceId = sourceId;
            slot.Value = positions.IsEmpty ? 0 : positions[i];
            slot.Event = run[i];
        }
    }

    private static void CheckPositions(int events, int positions)
    {
        if (positions != 0 && positions != events)
            throw new ArgumentException($"{positions} positions for {events} events: pass one position per event, or none.", nameof(positions));
    }
}

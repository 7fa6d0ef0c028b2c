using System.Runtime.CompilerServices;

namespace Kernel.Ring;

// The publishing surface: events by value, spans, control entries, in-place claims, async.
public sealed partial class RingBuffer<T>
{
    /// <summary>Publishes one event (source 0, position 0), waiting for room if the ring is full.</summary>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(in T item) => Publish(in item, 0, 0);

    /// <summary>Publishes one event read by <paramref name="sourceId"/> at <paramref name="position"/>, waiting for room.</summary>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(in T item, int sourceId, long position)
    {
        // The fast path is one producer with room known to be there: everything else (several
        // producers, a wait for room) is one out-of-line call that takes the event by value and
        // returns nothing, so no value of the caller is live across it and the JIT keeps the
        // caller's loop in registers (a call that returned into this path would make it spill
        // at definition whatever stays live across it). The event is never passed by reference,
        // so it stays in registers too.
        var single = _single;
        if (single is null || !single.TryNextWithinLimit(out var sequence))
        {
            PublishSlow(item, sourceId, position);
            return;
        }
        // Nothing between claim and publish can throw: a slot is published whole.
        ref var slot = ref SlotAt(sequence);
        if (s_headerIsFirstWord)
            Unsafe.As<EntryKind, ulong>(ref slot.Kind) = (ulong)(uint)sourceId << 32 | (byte)EntryKind.Event;
        else
        {
            slot.Kind = EntryKind.Event;
            slot.SourceId = sourceId;
        }
        slot.Value = position;
        slot.Event = item;
        single.Publish(sequence);
    }

    // True when bytes 0..7 of a slot hold exactly Kind (byte 0, then padding) and SourceId (bytes
    // 4..7), so the two can be written with one 8-byte store. Checked on the real layout, once per
    // event type: an event type with references, or one laid out automatically (a ValueTuple, a
    // DateTime), can make the runtime reorder the entry's fields. A constant in optimized code.
    private static readonly bool s_headerIsFirstWord = HeaderIsFirstWord();

    private static bool HeaderIsFirstWord()
    {
        if (RuntimeHelpers.IsReferenceOrContainsReferences<T>() || !BitConverter.IsLittleEndian)
            return false;
        var entry = default(RingEntry<T>);
        ref var start = ref Unsafe.As<RingEntry<T>, byte>(ref entry);
        return Unsafe.ByteOffset(ref start, ref Unsafe.As<EntryKind, byte>(ref entry.Kind)) == 0
            && Unsafe.ByteOffset(ref start, ref Unsafe.As<int, byte>(ref entry.SourceId)) == 4
            && Unsafe.ByteOffset(ref start, ref Unsafe.As<long, byte>(ref entry.Value)) >= 8
            && (Unsafe.SizeOf<T>() == 0 || Unsafe.ByteOffset(ref start, ref Unsafe.As<T, byte>(ref entry.Event)) >= 8);
    }

    // Several producers, or one that must look at the consumers (and maybe wait) for room.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void PublishSlow(T item, int sourceId, long position)
    {
        var single = _single;
        if (single is not null)
        {
            var claimed = single.Next(1);
            FillEvent(ref SlotAt(claimed), item, sourceId, position);
            single.Publish(claimed);
            return;
        }
        var multi = _multi!;
        var sequence = multi.Next(1, out var contended);
        FillEvent(ref SlotAt(sequence), item, sourceId, position);
        multi.Publish(sequence, contended);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void FillEvent(ref RingEntry<T> slot, T item, int sourceId, long position)
    {
        slot.Kind = EntryKind.Event;
        slot.SourceId = sourceId;
        slot.Value = position;
        slot.Event = item;
    }

    /// <summary>Publishes one event (source 0, position 0) if there is room now; false (nothing published) when the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPublish(in T item) => TryPublish(in item, 0, 0);

    /// <summary>Publishes one event read by <paramref name="sourceId"/> at <paramref name="position"/> if there is room now; false (nothing published) when the ring is full.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryPublish(in T item, int sourceId, long position)
    {
        var multi = _multi;
        if (multi is not null)
        {
            // Several producers: the publish needs to know whether the claim met another's.
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
    /// Publishes the events (source 0, positions 0) in order, claiming and publishing up to the ring size at a
    /// time (one claim and one publish per chunk), waiting for room as needed.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    public void Publish(ReadOnlySpan<T> items) => PublishCore(items, 0, default);

    /// <summary>
    /// Publishes the events of <paramref name="sourceId"/> in order, up to the ring size at a time, waiting for
    /// room as needed; <paramref name="positions"/> holds each event's source position (empty: all 0).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="positions"/> is neither empty nor as long as <paramref name="items"/>.</exception>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    public void Publish(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions = default)
    {
        CheckPositions(items.Length, positions.Length);
        PublishCore(items, sourceId, positions);
    }

    /// <summary>
    /// The loop of both span publishes, inlined into each: with the constant source 0 and no positions the JIT
    /// folds the source-id and position tests away. Called through the source-id overload instead (session 17's
    /// last commit), source 0's publish ran about 5–8% slower end to end: session 18, <c>KERNEL_AGG_SKIP_OPERATOR=1
    /// quick aggregate</c>, <c>end-to-end</c> in separate processes, 219–240M events/s (7 runs) against 238–261M for
    /// the code before that commit (3 runs) and for this one (5 runs; one more, during a stall that also halved
    /// Rx.NET's rate, read 171M).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void PublishCore(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions)
    {
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
    /// Fills the claimed slots from <paramref name="lowest"/> on with <paramref name="run"/> as events of
    /// <paramref name="sourceId"/> (positions from <paramref name="positions"/>, empty: 0): source 0 without
    /// positions with streaming stores where they apply (see <see cref="NonTemporalSlotCopy{T}"/>, whose
    /// header is source 0, value 0), else slot by slot.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void FillEvents(long lowest, ReadOnlySpan<T> run, int sourceId, ReadOnlySpan<long> positions)
    {
        if (sourceId == 0 && positions.IsEmpty && NonTemporalSlotCopy<T>.TryCopy(_entries, FirstSlotOffset, _indexMask, lowest, run))
            return;
        // The slot base and mask once: a store through a slot reference would otherwise make the JIT reload
        // the ring's fields for every slot.
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

    /// <summary>
    /// Publishes as many of the events (source 0, positions 0) as fit now (all or a prefix, in order) and
    /// returns how many were published; never waits.
    /// </summary>
    public int TryPublish(ReadOnlySpan<T> items) => TryPublishCore(items, 0, default);

    /// <summary>
    /// Publishes as many events of <paramref name="sourceId"/> as fit now (all or a prefix, in order) and returns
    /// how many were published; never waits. <paramref name="positions"/> as for <see cref="Publish(ReadOnlySpan{T}, int, ReadOnlySpan{long})"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="positions"/> is neither empty nor as long as <paramref name="items"/>.</exception>
    public int TryPublish(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions = default)
    {
        CheckPositions(items.Length, positions.Length);
        return TryPublishCore(items, sourceId, positions);
    }

    /// <summary>The loop of both span try-publishes, inlined into each (see <see cref="PublishCore"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TryPublishCore(ReadOnlySpan<T> items, int sourceId, ReadOnlySpan<long> positions)
    {
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

    private static void CheckPositions(int events, int positions)
    {
        if (positions != 0 && positions != events)
            throw new ArgumentException($"{positions} positions for {events} events: pass one position per event, or none.", nameof(positions));
    }

    /// <summary>
    /// Publishes one event (source 0, position 0), completing at once when there is room and otherwise waiting
    /// for it asynchronously: the continuation is woken by the processors' progress, never by polling.
    /// </summary>
    /// <exception cref="InvalidOperationException">The ring was halted while waiting for room.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting; nothing was published.</exception>
    public ValueTask PublishAsync(T item, CancellationToken cancellationToken = default) => PublishAsync(item, 0, 0, cancellationToken);

    /// <summary>
    /// Publishes one event read by <paramref name="sourceId"/> at <paramref name="position"/>, completing at once
    /// when there is room and otherwise waiting for it asynchronously (woken by the processors' progress).
    /// </summary>
    /// <remarks>
    /// A try after a wake-up can find the room taken by producers whose blocking claims spin for it: beside such a
    /// producer on a full ring the publish may wait for many of its events.
    /// </remarks>
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
            await WaitForRoomAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Publishes a watermark: no event of <paramref name="sourceId"/> at or before <paramref name="eventTimeMs"/> follows.</summary>
    public void PublishWatermark(long eventTimeMs, int sourceId = 0) => PublishControl(EntryKind.Watermark, eventTimeMs, sourceId);

    /// <summary>Publishes checkpoint barrier <paramref name="checkpointId"/>: every handler meets it in sequence order.</summary>
    public void PublishBarrier(long checkpointId) => PublishControl(EntryKind.Barrier, checkpointId, 0);

    /// <summary>Publishes end of input for <paramref name="sourceId"/> (<see cref="SourceIds.All"/>: for every source).</summary>
    public void PublishEndOfInput(int sourceId = 0) => PublishControl(EntryKind.EndOfInput, 0, sourceId);

    /// <summary>Publishes a control entry (watermark, barrier or end of input) in sequence order with the events.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="kind"/> is not a control kind, or <paramref name="sourceId"/> is negative (only end of input
    /// may carry <see cref="SourceIds.All"/>).
    /// </exception>
    public void PublishControl(EntryKind kind, long value, int sourceId) => PublishControlAt(kind, value, sourceId);

    /// <summary><see cref="PublishControl"/>, returning the entry's sequence.</summary>
    internal long PublishControlAt(EntryKind kind, long value, int sourceId)
    {
        CheckControl(kind, sourceId);
        var sequence = Next(1);
        FillControl(sequence, kind, value, sourceId);
        return sequence;
    }

    /// <summary>Publishes a control entry if there is room now; never waits (false: the ring is full).</summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="PublishControl"/>.</exception>
    public bool TryPublishControl(EntryKind kind, long value, int sourceId) => TryPublishControl(kind, value, sourceId, out _);

    /// <summary><see cref="TryPublishControl(EntryKind, long, int)"/>, giving the entry's sequence when it was published.</summary>
    internal bool TryPublishControl(EntryKind kind, long value, int sourceId, out long sequence)
    {
        CheckControl(kind, sourceId);
        if (!TryNext(1, out sequence)) return false;
        FillControl(sequence, kind, value, sourceId);
        return true;
    }

    /// <summary>
    /// Waits, without blocking a thread, until the processors' progress may have made room for one entry (the caller
    /// tries again: another producer may take it first). The asynchronous publishes loop on it: <see cref="PublishAsync(T, CancellationToken)"/>,
    /// and the kernel's control entries (<c>StreamKernel.PublishWatermarkAsync</c> and the others, <c>CompleteAsync</c>'s end of input,
    /// with <see cref="TryPublishControl(EntryKind, long, int)"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// The ring is halted, or the halt is what ended the wait (the caller must publish nothing into a ring nobody reads).
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal async ValueTask WaitForRoomAsync(CancellationToken cancellationToken)
    {
        if (Sequencer.IsClosed)
            RingThrowHelper.ThrowHalted();
        cancellationToken.ThrowIfCancellationRequested();
        await Sequencer.RoomSignal.WaitAsync(new Sequencer.RoomCondition(Sequencer, 1), cancellationToken).ConfigureAwait(false);
        if (Sequencer.IsClosed)
            RingThrowHelper.ThrowHalted();
    }

    private static void CheckControl(EntryKind kind, int sourceId)
    {
        if (kind is not (EntryKind.Watermark or EntryKind.Barrier or EntryKind.EndOfInput))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A control entry is a watermark, a barrier or end of input.");
        if (sourceId < 0 && !(sourceId == SourceIds.All && kind == EntryKind.EndOfInput))
            throw new ArgumentOutOfRangeException(nameof(sourceId), sourceId, $"Source ids start at 0; only end of input may carry SourceIds.All ({SourceIds.All}).");
    }

    private void FillControl(long sequence, EntryKind kind, long value, int sourceId)
    {
        ref var slot = ref SlotAt(sequence);
        slot.Kind = kind;
        slot.SourceId = sourceId;
        slot.Value = value;
        slot.Event = default!;
        PublishRange(sequence, sequence);
    }

    /// <summary>
    /// Claims <paramref name="count"/> slots to fill in place, waiting for room. Fill them, then
    /// call <see cref="ClaimedBatch{T}.Publish"/>; dispose the batch in every case (a
    /// <c>using</c>), so that a fill that throws takes the claim back instead of publishing it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in 1..<see cref="BufferSize"/>.</exception>
    public ClaimedBatch<T> Claim(int count)
    {
        CheckCount(count);
        var highest = Next(count);
        return ClaimedBatch<T>.Create(this, highest - count + 1, count);
    }

    /// <summary>Claims <paramref name="count"/> slots if they fit now; never waits (the caller applies its own backpressure).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is not in 1..<see cref="BufferSize"/>.</exception>
    public bool TryClaim(int count, out ClaimedBatch<T> batch)
    {
        CheckCount(count);
        if (!TryNext(count, out var highest))
        {
            batch = default;
            return false;
        }
        batch = ClaimedBatch<T>.Create(this, highest - count + 1, count);
        return true;
    }
}

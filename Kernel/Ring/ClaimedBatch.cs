using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// Slots claimed from a <see cref="RingBuffer{T}"/> to fill in place. Each claimed slot starts as
/// an event entry of source 0 (its <see cref="RingEntry{T}.Event"/> still holds whatever the slot
/// held last). Publish them all with <see cref="Publish"/>; disposing the batch unpublished takes
/// the claim back, so an exception while filling never publishes a half-written slot:
/// <code>
/// using var batch = ring.Claim(64);
/// for (var i = 0; i &lt; batch.Count; i++) batch[i].Event = Read(i);   // may throw
/// batch.Publish();
/// </code>
/// </summary>
/// <typeparam name="T">The event type.</typeparam>
public ref struct ClaimedBatch<T>
{
    private readonly RingBuffer<T>? _ring;

    // The ring's first slot (ring index 0, not the claim's first slot) and the index mask: slot i
    // of the claim is (_firstIndex + i) & _mask, so a claim that wraps past the end of the ring
    // needs no second branch, and an access is an add, an and and a bounds check on registers.
    private readonly ref RingEntry<T> _slots;
    private readonly long _firstSequence;
    private readonly int _firstIndex;
    private readonly int _mask;
    private readonly int _count;
    private bool _finished;

    private ClaimedBatch(RingBuffer<T> ring, ref RingEntry<T> slots, long firstSequence, int mask, int count)
    {
        _ring = ring;
        _slots = ref slots;
        _firstSequence = firstSequence;
        _firstIndex = (int)(firstSequence & mask);
        _mask = mask;
        _count = count;
    }

    internal static ClaimedBatch<T> Create(RingBuffer<T> ring, long firstSequence, int count)
    {
        ref var slots = ref ring.FirstSlot;
        var mask = ring.BufferSize - 1;
        var first = (int)(firstSequence & mask);
        for (var i = 0; i < count; i++)
        {
            ref var slot = ref Unsafe.Add(ref slots, (first + i) & mask);
            slot.Kind = EntryKind.Event;
            slot.SourceId = 0;
            slot.Value = 0;
        }
        return new ClaimedBatch<T>(ring, ref slots, firstSequence, mask, count);
    }

    /// <summary>The ring sequence of slot 0.</summary>
    public readonly long FirstSequence => _firstSequence;

    /// <summary>The number of claimed slots.</summary>
    public readonly int Count => _count;

    /// <summary>The claimed slot <paramref name="index"/> (0-based within the batch), by reference.</summary>
    public readonly ref RingEntry<T> this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)_count || _finished)
                RingThrowHelper.ThrowIndexOutOfRange(index, _finished ? 0 : _count);
            // Safe: index < _count <= ring size, and the masked index is in [0, size).
            return ref Unsafe.Add(ref _slots, (_firstIndex + index) & _mask);
        }
    }

    /// <summary>Publishes every slot of the batch at once.</summary>
    /// <exception cref="InvalidOperationException">The batch was already published or abandoned.</exception>
    public void Publish()
    {
        if (_finished || _ring is null)
            RingThrowHelper.ThrowAlreadyFinished();
        _finished = true;
        _ring.PublishRange(_firstSequence, _firstSequence + _count - 1);
    }

    /// <summary>Takes the claim back unless it was published; no handler sees the slots.</summary>
    /// <remarks>
    /// The ring is asked too, not only this value: <c>using (batch) { …; batch.Publish(); }</c> disposes a
    /// copy of <c>batch</c> that never saw the publish, and taking back published slots would throw (one
    /// producer) or mark events other handlers have yet to read as abandoned (several).
    /// </remarks>
    public void Dispose()
    {
        if (_finished || _ring is null || _ring.IsPublished(_firstSequence + _count - 1))
            return;
        _finished = true;
        _ring.AbandonRange(_firstSequence, _firstSequence + _count - 1);
    }
}

using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// The sequencer of a ring with several publishing threads. A claim is one interlocked add on
/// the cursor; because producers finish filling in any order, each slot is marked published on
/// its own, in <see cref="_available"/>, with the round number of the sequence that filled it
/// (<c>sequence &gt;&gt; log2(size)</c>), so a consumer never mistakes last round's slot for this one.
/// </summary>
internal sealed class MultiProducerSequencer : Sequencer
{
    // Per slot, the round of the sequence last published into it. Written with a release write
    // after the slot was filled; read with an acquire read by consumers before they read the slot.
    private readonly int[] _available;
    private readonly int _indexMask;
    private readonly int _indexShift;

    // The slowest consumer as last seen by any producer (a hint; refreshed when a claim might lap).
    private readonly Sequence _gatingCache = new();

    /// <summary>Creates the sequencer for a ring of <paramref name="bufferSize"/> slots (a power of two).</summary>
    public MultiProducerSequencer(int bufferSize) : base(bufferSize)
    {
        _available = new int[bufferSize];
        _available.AsSpan().Fill(-1);
        _indexMask = bufferSize - 1;
        _indexShift = System.Numerics.BitOperations.Log2((uint)bufferSize);
    }

    /// <inheritdoc/>
    public override long ClaimedCursor => Cursor.Value;

    /// <summary>Claims <paramref name="count"/> sequences (1..size), waiting for room; returns the highest.</summary>
    /// <remarks>
    /// Looks for room before claiming, and waits (claiming nothing) when the ring looks full. A producer
    /// that claimed first and then waited for room would hold a sequence the consumers must stop at:
    /// once they had freed the room it waits for, they would wait in turn for it to notice, often
    /// asleep, so a full ring cost two hand-offs (wake the producer, then the consumer) per producer
    /// and lap. Only producers racing for the last free slots can still claim without room.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int count)
    {
        if (Cursor.Value + count - _bufferSize > _gatingCache.Value)
            WaitForRoomBeforeClaim(count);
        var next = Cursor.AddAndGet(count);
        var current = next - count;
        var wrapPoint = next - _bufferSize;
        var cached = _gatingCache.Value;
        if (wrapPoint > cached || cached > current)
        {
            if (RingCounters.Enabled && wrapPoint > cached)
                RingCounters.Add(RingCounters.Kind.ProducerHeldWaits);
            _gatingCache.SetValue(WaitForCapacity(wrapPoint, current));
        }
        return next;
    }

    // The ring looked full (or the cached gating sequence stale): waits until a claim of count made
    // now would fit, refreshing the cache; claims nothing.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void WaitForRoomBeforeClaim(int count)
    {
        while (true)
        {
            var current = Cursor.Value;
            var wrapPoint = current + count - _bufferSize;
            var gating = GetMinimumGatingSequence(current);
            if (gating >= wrapPoint)
            {
                _gatingCache.SetValue(gating);
                return;
            }
            _gatingCache.SetValue(WaitForCapacity(wrapPoint, current));
        }
    }

    /// <summary>Claims <paramref name="count"/> sequences if they fit now; never waits.</summary>
    public bool TryNext(int count, out long highest)
    {
        while (true)
        {
            var current = Cursor.Value;
            var next = current + count;
            var wrapPoint = next - _bufferSize;
            var cached = _gatingCache.Value;
            if (wrapPoint > cached || cached > current)
            {
                var gating = GetMinimumGatingSequence(current);
                _gatingCache.SetValue(gating);
                if (wrapPoint > gating)
                {
                    highest = 0;
                    return false;
                }
            }
            if (Cursor.CompareAndSet(current, next))
            {
                highest = next;
                return true;
            }
        }
    }

    /// <summary>Marks one filled slot published (release write), then wakes sleepers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence)
    {
        SetAvailable(sequence);
        Signal.Notify();
    }

    /// <summary>Marks the filled slots <paramref name="lowest"/>..<paramref name="highest"/> published, then wakes sleepers once.</summary>
    public void Publish(long lowest, long highest)
    {
        for (var s = lowest; s <= highest; s++)
            SetAvailable(s);
        Signal.Notify();
    }

    /// <summary>True when <paramref name="sequence"/> was published (this round).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAvailable(long sequence) =>
        Volatile.Read(ref SlotFlag(sequence)) == (int)(sequence >> _indexShift);

    /// <summary>
    /// True when <paramref name="sequence"/> was published, even if its slot has since been published
    /// again for a later round (a slot is claimed for round r + 1 only after round r's was published).
    /// </summary>
    internal bool IsPublishedOrLater(long sequence) =>
        Volatile.Read(ref SlotFlag(sequence)) >= (int)(sequence >> _indexShift);

    /// <inheritdoc/>
    public override long GetHighestPublished(long lowerBound, long availableSequence)
    {
        for (var s = lowerBound; s <= availableSequence; s++)
        {
            if (!IsAvailable(s))
                return s - 1;
        }
        return availableSequence;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void SetAvailable(long sequence) =>
        Volatile.Write(ref SlotFlag(sequence), (int)(sequence >> _indexShift));

    // Safe: the index is masked to [0, size) and _available has exactly size elements.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int SlotFlag(long sequence) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_available), (int)(sequence & _indexMask));
}

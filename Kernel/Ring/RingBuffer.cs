using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// A preallocated ring of <see cref="RingEntry{T}"/> slots in the LMAX Disruptor design:
/// producers claim sequences, fill the slots in place and publish them; processors (see
/// <see cref="RingPipeline{T}"/>) read every published slot as a span, in sequence order.
/// </summary>
/// <remarks>
/// <para>
/// Every publishing method either publishes whole entries or nothing: the value-copy methods
/// (<see cref="Publish(in T)"/>, <see cref="Publish(ReadOnlySpan{T})"/>, the control helpers)
/// do nothing that can throw between claim and publish, and an in-place
/// <see cref="Claim(int)"/> disposed without <see cref="ClaimedBatch{T}.Publish"/> (because the
/// filling code threw) is rolled back (one producer) or published as abandoned slots that
/// processors skip (several producers). No handler ever sees a half-written slot.
/// </para>
/// <para>
/// With <see cref="ProducerType.Single"/>, only one thread may publish at a time.
/// </para>
/// </remarks>
/// <typeparam name="T">The event type; an unmanaged struct on the hot path.</typeparam>
public sealed partial class RingBuffer<T>
{
    /// <summary>The kind stored in a slot whose claim was abandoned (multi-producer); never handed to a handler.</summary>
    internal const EntryKind AbandonedKind = (EntryKind)byte.MaxValue;

    // Slots, with _pad unused slots on each side so no other object shares a cache line with the
    // first or last slot; the slots themselves are ordered by the sequencer's release/acquire pairs.
    // Set at construction (from RingSlotPool) and replaced only by Retire.
    private RingEntry<T>[] _entries;
    private readonly int _pad;

    // Where slot 0 of the padded array starts, in bytes from the array's data: chosen so that ring
    // index 0 starts on a cache line (see RingSlotPool.AlignedStart); 0 for arrays the GC may move.
    private readonly nint _shift;

    // 1 once Retire has run (interlocked).
    private int _retired;
    private readonly int _indexMask;

    // Exactly one of these is set; the fast paths branch on which (predictable, no virtual call).
    private readonly SingleProducerSequencer? _single;
    private readonly MultiProducerSequencer? _multi;

    /// <summary>Creates a ring.</summary>
    /// <param name="bufferSize">Slots; a power of two, at least 2.</param>
    /// <param name="producerType">One publishing thread, or several.</param>
    /// <param name="waitStrategy">How processors wait for entries; <see cref="WaitStrategy.Default"/> when null.</param>
    public RingBuffer(int bufferSize, ProducerType producerType = ProducerType.Single, WaitStrategy? waitStrategy = null)
    {
        if (bufferSize < 2 || !BitOperations.IsPow2(bufferSize))
            throw new ArgumentOutOfRangeException(nameof(bufferSize), bufferSize, "The ring size must be a power of two, at least 2.");
        if (producerType is not (ProducerType.Single or ProducerType.Multi))
            throw new ArgumentOutOfRangeException(nameof(producerType), producerType, "Unknown producer type.");
        _pad = 128 / Math.Max(1, Unsafe.SizeOf<RingEntry<T>>()) + 1;
        _entries = RingSlotPool<T>.Rent(bufferSize + 2 * _pad + RingSlotPool<T>.AlignmentSlack);
        _shift = RingSlotPool<T>.AlignedStart(_entries, _pad);
        _indexMask = bufferSize - 1;
        ProducerType = producerType;
        WaitStrategy = waitStrategy ?? WaitStrategy.Default;
        if (producerType == ProducerType.Single)
            Sequencer = _single = new SingleProducerSequencer(bufferSize);
        else
            Sequencer = _multi = new MultiProducerSequencer(bufferSize);
    }

    /// <summary>The number of slots.</summary>
    public int BufferSize => _indexMask + 1;

    /// <summary>One publishing thread, or several.</summary>
    public ProducerType ProducerType { get; }

    /// <summary>How processors of this ring wait for entries.</summary>
    public WaitStrategy WaitStrategy { get; }

    /// <summary>The highest sequence handed to a producer so far (-1 before the first claim).</summary>
    public long Cursor => Sequencer.ClaimedCursor;

    /// <summary>Entries claimed and not yet consumed by the slowest processor (a gauge; racy by nature).</summary>
    public long Occupancy => Sequencer.Occupancy;

    /// <summary>True when <paramref name="count"/> more entries can be claimed now without waiting.</summary>
    public bool HasRoomFor(int count) => Sequencer.HasRoomFor(count);

    /// <summary>The sequencer (shared with barriers and processors).</summary>
    internal Sequencer Sequencer { get; }

    /// <summary>The slot of <paramref name="sequence"/> (masked; any sequence maps to a slot).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal ref RingEntry<T> SlotAt(long sequence) =>
        // Safe: the masked index is in [0, size), and the array holds size + 2 * _pad slots after _shift
        // bytes (the slack slots cover the shift).
        ref Unsafe.Add(ref FirstSlot, (int)(sequence & _indexMask));

    /// <summary>Where ring index 0 starts, in bytes from the slot array's data.</summary>
    private nint FirstSlotOffset => _shift + _pad * (nint)Unsafe.SizeOf<RingEntry<T>>();

    /// <summary>The slot at ring index 0 (after the padding), for in-place claims that index it with a mask.</summary>
    internal ref RingEntry<T> FirstSlot =>
        ref Unsafe.Add(ref Unsafe.AddByteOffset(ref MemoryMarshal.GetArrayDataReference(_entries), _shift), _pad);

    /// <summary>The slots from ring index <paramref name="index"/> (not a sequence), for processors.</summary>
    internal ReadOnlySpan<RingEntry<T>> Slots(int index, int length)
    {
        // The bounds Span's constructor would check against the array: index and length are within the
        // ring (callers split a run at the ring's end), and the array covers the ring after the shift.
        Debug.Assert((uint)index <= (uint)BufferSize && (uint)length <= (uint)(BufferSize - index));
        return MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref FirstSlot, index), length);
    }

    /// <summary>Claims <paramref name="count"/> sequences (waiting for room) and returns the highest.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Next(int count)
    {
        var single = _single;
        return single is not null ? single.Next(count) : _multi!.Next(count);
    }

    /// <summary>Claims <paramref name="count"/> sequences if they fit now.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryNext(int count, out long highest)
    {
        var single = _single;
        return single is not null ? single.TryNext(count, out highest) : _multi!.TryNext(count, out highest);
    }

    /// <summary>Publishes the filled sequences <paramref name="lowest"/>..<paramref name="highest"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void PublishRange(long lowest, long highest)
    {
        var single = _single;
        if (single is not null)
            single.Publish(highest);
        else if (lowest == highest)
            _multi!.Publish(highest);
        else
            _multi!.Publish(lowest, highest);
    }

    /// <summary>
    /// Takes back a claim that will not be filled: rolled back (one producer) or published as
    /// abandoned slots that processors skip (several producers, where later claims may exist).
    /// </summary>
    /// <summary>True when the claimed sequence <paramref name="highest"/> has been published.</summary>
    internal bool IsPublished(long highest) => _single is not null ? _single.IsPublished(highest) : _multi!.IsPublishedOrLater(highest);

    internal void AbandonRange(long lowest, long highest)
    {
        if (_single is not null)
        {
            _single.Rollback(lowest, highest);
            return;
        }
        for (var s = lowest; s <= highest; s++)
            SlotAt(s).Kind = AbandonedKind;
        // The count is raised before the slots are published (interlocked, then release writes):
        // a processor that sees a slot published also sees the count that covers it.
        Sequencer.AbandonedCount.AddAndGet(highest - lowest + 1);
        _multi!.Publish(lowest, highest);
    }

    /// <summary>
    /// Hands the slot array to <see cref="RingSlotPool{T}"/> for the next ring of this type and size, and
    /// points this ring at an array no other ring uses, so a publish into a retired ring can never write
    /// into another ring's slots. Call only when no thread reads or writes the slots any more: every
    /// processor has exited and no publish or claim is in progress (a kernel's dispose).
    /// </summary>
    internal void Retire()
    {
        // Once only: a second call would hand over the array this ring points at from then on.
        if (Interlocked.Exchange(ref _retired, 1) != 0)
            return;
        var sink = RingSlotPool<T>.Return(_entries);
        // The sink has the same length, so the slots stay inside it at the same shift (it is never read, and
        // may be unaligned: the streaming copy checks the address it writes to).
        if (sink is not null)
            _entries = sink;
    }

    /// <summary>The slot array (tests: which array a ring uses after <see cref="Retire"/> and pooling).</summary>
    internal RingEntry<T>[] SlotsForTests => _entries;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckCount(int count)
    {
        if ((uint)(count - 1) >= (uint)BufferSize)
            RingThrowHelper.ThrowCountOutOfRange(count, BufferSize);
    }
}

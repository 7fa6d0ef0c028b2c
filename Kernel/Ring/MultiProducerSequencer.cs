using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Ring;

/// <summary>
/// The sequencer of a ring with several publishing threads. A claim is one interlocked add on
/// the cursor; because producers finish filling in any order, each slot is marked published on
/// its own, in <see cref="_available"/>, with the round number of the sequence that filled it
/// (<c>sequence &gt;&gt; log2(size)</c>), so a consumer never mistakes last round's slot for this one,
/// and the CPU its publisher ran on (see <see cref="Publish(long)"/>).
/// </summary>
internal sealed class MultiProducerSequencer : Sequencer
{
    /// <summary>Low bits of a slot's flag that hold the publisher's CPU (modulo 256); the rest hold the round.</summary>
    internal const int PublisherBits = 8;

    private const int PublisherMask = (1 << PublisherBits) - 1;

    // Per slot, the round of the sequence last published into it (shifted left by PublisherBits)
    // and the publisher's CPU in the low bits. Written with a release write after the slot was
    // filled; read with an acquire read by consumers before they read the slot.
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
    public long Next(int count) => Next(count, out _);

    /// <summary>
    /// Claims <paramref name="count"/> sequences (1..size), waiting for room; returns the highest, and
    /// in <paramref name="contended"/> whether another producer claimed between this one's look at
    /// the cursor and its claim (producers running at once on several CPUs; see <see cref="Publish(long, bool)"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Next(int count, out bool contended)
    {
        var seen = Cursor.Value;
        if (seen + count - _bufferSize > _gatingCache.Value)
            WaitForRoomBeforeClaim(count);
        var next = Cursor.AddAndGet(count);
        var current = next - count;
        contended = current != seen;
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
    public bool TryNext(int count, out long highest) => TryNext(count, out highest, out _);

    /// <summary>
    /// Claims <paramref name="count"/> sequences if they fit now; never waits. <paramref name="contended"/>:
    /// another producer's claim made this one's compare-and-swap fail at least once (see <see cref="Publish(long, bool)"/>).
    /// </summary>
    public bool TryNext(int count, out long highest, out bool contended)
    {
        contended = false;
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
            contended = true;
        }
    }

    /// <summary>Marks one filled slot published (release write), then wakes sleepers; may back off (see <see cref="Publish(long, bool)"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence) => Publish(sequence, contended: true);

    /// <summary>
    /// Marks one filled slot published (release write), then wakes sleepers; then, when the claim was
    /// <paramref name="contended"/>, backs off for a moment if the sequence before it was published
    /// from a lower-numbered CPU (see remarks).
    /// </summary>
    /// <remarks>
    /// Producers running at once on different CPUs and publishing one entry at a time claim in
    /// lockstep: neighbouring sequences go to different CPUs, so the claim cursor, the slot lines
    /// and the flag lines cross CPUs on nearly every entry (measured on a quiet 2-CPU machine:
    /// 140–240 CPU ns per entry per producer, against 10–13 when they take turns on one CPU). A
    /// lock (the Channels baseline) serializes such writers; here, of two producers found
    /// interleaved, the one on the higher-numbered CPU pauses after its publish (outside its claim
    /// window, so nobody waits for it), and the other runs on alone with the lines in its cache
    /// until the next interleaving. Deterministic (by CPU number), so the two never pause in turn.
    /// A producer that saw a claim from a CPU that has since gone quiet pauses once, then finds its
    /// own claims behind it and runs on. The price: while a lower CPU publishes too, this producer
    /// publishes about one entry per pause, for the others' throughput. Benchmark: <c>quick ring</c>,
    /// 3p1c with <c>KERNEL_RING_3P1C_PIN=22</c> or <c>spread</c> (producers on both CPUs): producers'
    /// CPU per entry about 35–45% lower (session 12 in <c>Kernel.Bench/Notes/ring.md</c>).
    /// <para>
    /// An uncontended claim (nobody claimed between this producer's look at the cursor and its own
    /// claim: producers taking turns on one CPU) skips asking for the CPU, which costs about 1 ns
    /// per entry, and marks its flag with CPU 255, behind which nobody backs off. Interleaved
    /// producers see contention on most claims, so they mark and compare their real CPUs.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Publish(long sequence, bool contended)
    {
        if (!contended)
        {
            MarkPublished(sequence, PublisherMask);
            Signal.Notify();
            return;
        }
        var cpu = Thread.GetCurrentProcessorId() & PublisherMask;
        MarkPublished(sequence, cpu);
        Signal.Notify();
        if (FollowsLowerCpu(sequence, cpu))
            BackOff();
    }

    /// <summary>Marks <paramref name="sequence"/>'s slot published (release write) by a producer on <paramref name="cpu"/> (0..255).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void MarkPublished(long sequence, int cpu) =>
        Volatile.Write(ref SlotFlag(sequence), Stamp(sequence) | cpu);

    /// <summary>
    /// True when the sequence before <paramref name="sequence"/> was published, this round, from a
    /// CPU numbered below <paramref name="cpu"/> (0..255).
    /// </summary>
    /// <remarks>
    /// Called just after marking <paramref name="sequence"/> published: the flag before it shares
    /// that cache line 15 times in 16, and this thread owns the line then, so the read is local.
    /// Unsigned: the difference is the publisher's CPU when the round matches, and at least 2^8
    /// (or negative, so huge) when it does not.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal bool FollowsLowerCpu(long sequence, int cpu) =>
        unchecked((uint)(Volatile.Read(ref SlotFlag(sequence - 1)) - Stamp(sequence - 1))) < (uint)cpu;

    /// <summary><see cref="Thread.SpinWait"/> iterations of a producer's back-off after an interleaved publish (about 2 µs).</summary>
    internal const int BackOffSpins = 150;

    // A pause on the CPU, not a yield: measured alike (3P→1C pinned 2+2, 2 runs each: producers
    // 42–49 CPU ns per entry with either, 80 without), and a pause costs no system call.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void BackOff()
    {
        RingCounters.Add(RingCounters.Kind.ProducerBackOffs);
        Thread.SpinWait(BackOffSpins);
    }

    /// <summary>Marks the filled slots <paramref name="lowest"/>..<paramref name="highest"/> published (CPU 255: nobody backs off behind a range), then wakes sleepers once.</summary>
    public void Publish(long lowest, long highest)
    {
        for (var s = lowest; s <= highest; s++)
            MarkPublished(s, PublisherMask);
        Signal.Notify();
    }

    /// <summary>True when <paramref name="sequence"/> was published (this round).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsAvailable(long sequence) =>
        (Volatile.Read(ref SlotFlag(sequence)) & ~PublisherMask) == Stamp(sequence);

    /// <summary>
    /// True when <paramref name="sequence"/> was published, even if its slot has since been published
    /// again for a later round (a slot is claimed for round r + 1 only after round r's was published).
    /// Compared by difference, so rounds may wrap around the flag's bits.
    /// </summary>
    internal bool IsPublishedOrLater(long sequence) =>
        unchecked((Volatile.Read(ref SlotFlag(sequence)) & ~PublisherMask) - Stamp(sequence)) >= 0;

    /// <summary>The CPU (modulo 256) that published <paramref name="sequence"/>'s slot last, whatever its round (tests).</summary>
    internal int PublisherOf(long sequence) => Volatile.Read(ref SlotFlag(sequence)) & PublisherMask;

    // The round of a sequence in a flag's upper bits. Rounds wrap after 2^24 laps of the ring, far
    // beyond the one lap a flag is ever compared across. The initial flag, -1, reads as round -1.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Stamp(long sequence) => unchecked((int)(sequence >> _indexShift) << PublisherBits);

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

    // Safe: the index is masked to [0, size) and _available has exactly size elements.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref int SlotFlag(long sequence) =>
        ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_available), (int)(sequence & _indexMask));
}

using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// Diagnostic counts of the ring's waiting: how often processors and producers found nothing,
/// paused, yielded, slept and were woken, and how large the processors' batches were. Off unless
/// the environment variable <c>KERNEL_RING_COUNTERS=1</c> is set when the process starts; off,
/// <see cref="Enabled"/> is a constant false in optimized code and every count compiles away.
/// Every count sits on a slow path (an empty poll, a full ring, a processed batch), never per event.
/// Process-wide (every ring adds to the same counts): read them around one run at a time.
/// </summary>
internal static class RingCounters
{
    /// <summary>True when counting (read once at start-up; a JIT-time constant in tier-1 code).</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable("KERNEL_RING_COUNTERS") == "1";

    /// <summary>The counts.</summary>
    public enum Kind
    {
        /// <summary>Batches handed to handlers by processors.</summary>
        ConsumerBatches,
        /// <summary>Entries in those batches.</summary>
        ConsumerEntries,
        /// <summary>Processor waits that found nothing on the first poll.</summary>
        ConsumerWaits,
        /// <summary>Pauses (Thread.SpinWait) in those waits.</summary>
        ConsumerPauses,
        /// <summary>Thread.Yield calls in those waits.</summary>
        ConsumerYields,
        /// <summary>Processor waits that ended in a sleep on the signal.</summary>
        ConsumerBlocks,
        /// <summary>Producer waits for room (the claim might lap a consumer).</summary>
        ProducerWaits,
        /// <summary>Pauses in those waits.</summary>
        ProducerPauses,
        /// <summary>Yields in those waits.</summary>
        ProducerYields,
        /// <summary>Producer waits that ended in a sleep on the room signal.</summary>
        ProducerBlocks,
        /// <summary>Monitor.Wait calls on the processors' signal.</summary>
        SignalSleeps,
        /// <summary>Wake-ups (lock and pulse) of the processors' signal.</summary>
        SignalWakes,
        /// <summary>Monitor.Wait calls on the room signal.</summary>
        RoomSleeps,
        /// <summary>Wake-ups of the room signal.</summary>
        RoomWakes,
        /// <summary>Processor waits (of <see cref="ConsumerWaits"/>) that began at a slot claimed and not yet published.</summary>
        ConsumerGapWaits,
        /// <summary>Producer claims (several producers) that found no room after claiming, so waited holding a claim the consumers must wait for.</summary>
        ProducerHeldWaits,
        /// <summary>Yields (several producers; see <see cref="SequenceBarrier.YieldsAfterSmallBatch"/>) or pauses (one producer; <see cref="SequenceBarrier.PausesAfterSmallBatch"/>) of processors after a small batch.</summary>
        ConsumerBatchYields,
        /// <summary>Producer back-offs after a publish that followed one from a lower-numbered CPU (several producers; see <see cref="MultiProducerSequencer.Publish(long)"/>).</summary>
        ProducerBackOffs,
    }

    /// <summary>Number of kinds.</summary>
    public const int Count = (int)Kind.ProducerBackOffs + 1;

    private static readonly long[] s_counts = new long[Count * 8];

    /// <summary>Adds <paramref name="n"/> to a count (when enabled).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Add(Kind kind, long n = 1)
    {
        if (Enabled)
            Interlocked.Add(ref s_counts[(int)kind * 8], n);
    }

    /// <summary>
    /// Counts one wait and its spin: <paramref name="waits"/> is <see cref="Kind.ConsumerWaits"/> or
    /// <see cref="Kind.ProducerWaits"/>, each followed in <see cref="Kind"/> by its pauses, yields and blocks.
    /// </summary>
    internal static void AddWait(Kind waits, in SpinPhase spin, bool blocked)
    {
        if (!Enabled)
            return;
        Add(waits);
        Add(waits + 1, spin.Pauses);
        Add(waits + 2, spin.Yields);
        if (blocked)
            Add(waits + 3);
    }

    /// <summary>The current counts, by <see cref="Kind"/>.</summary>
    public static void Read(Span<long> into)
    {
        for (var i = 0; i < Count && i < into.Length; i++)
            into[i] = Volatile.Read(ref s_counts[i * 8]);
    }
}

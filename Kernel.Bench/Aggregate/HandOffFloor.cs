using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Kernel.Operators;
using Kernel.Ring;

namespace Kernel.Bench.Aggregate;

/// <summary>
/// The floors of <c>end-to-end</c> (baselines <c>producer-copy</c> and <c>handoff-fold</c>): the least a hand-off between two
/// threads can do for the same orders. A single-producer ring of the kernel's default size with the kernel's slot
/// layout (<see cref="RingEntry{T}"/>, 64 bytes for an order), written with the same streaming stores, two spinning
/// cursors and nothing else: no sequencer, wait strategy, exception policy, read-ahead hint, counters or control
/// entries. The consumer only reads every slot (<see cref="Consume.Read"/>), folds them with the same generated
/// operator's batch handler (<see cref="Consume.Fold"/>: the kernel's end-to-end work with the plainest hand-off), or
/// there is none (<see cref="Consume.None"/>: the producer's copy alone, the ceiling of any hand-off that copies
/// each order into a 64-byte slot). Not a product: it never blocks, and it runs only on x86 with AVX.
/// </summary>
/// <remarks>
/// <para>
/// The only <c>unsafe</c> code here is the slot memory (native, 64-byte aligned) and the streaming copy, as in
/// <c>NonTemporalSlotCopy</c>.
/// </para>
/// <para>
/// Session 24 (Notes/aggregate.md), six processes: the ring's <c>end-to-end</c> rounds ran at 0.77–1.20 of the producer's
/// copy alone and 1.14–1.45 of the hand-off that folds (the ring's read-ahead and batch pacing beat two bare cursors).
/// </para>
/// </remarks>
public sealed unsafe class HandOffFloor : IDisposable
{
    private const int Slots = 1 << 16;
    private const int Mask = Slots - 1;

    // The most slots handed to the consumer's work per step, as the kernel's processor does (its MaxBatch): a run's
    // slots are freed only when it is done, so a consumer given the whole ring would leave the producer waiting.
    private const int MaxBatch = 4096;

    /// <summary>What the consumer does with the slots.</summary>
    public enum Consume
    {
        /// <summary>Reads the members the fold reads from every slot into a checksum.</summary>
        Read,

        /// <summary>Folds the slots with the operator's <see cref="IBatchHandler{T}.OnBatch"/>.</summary>
        Fold,

        /// <summary>No consumer: the producer writes laps over slots nobody reads (what its copy costs alone).</summary>
        None,
    }

    private RingEntry<BenchOrder>* _slots;
    private Exception? _consumerFailure;

    // The two cursors, each on its own 128-byte span (adjacent-line prefetch pairs lines).
    private long* _cursors;

    /// <summary>True on x86 with AVX, where the floor runs (the kernel's streaming copy needs it too).</summary>
    public static bool IsSupported => Avx.IsSupported && sizeof(RingEntry<BenchOrder>) == 64;

    /// <summary>Allocates the slots (4 MiB) and cursors.</summary>
    /// <exception cref="PlatformNotSupportedException">Not <see cref="IsSupported"/>.</exception>
    public HandOffFloor()
    {
        if (!IsSupported)
            throw new PlatformNotSupportedException("the hand-off floor needs 64-byte slots and AVX");
        _slots = (RingEntry<BenchOrder>*)NativeMemory.AlignedAlloc((nuint)Slots * 64, 64);
        _cursors = (long*)NativeMemory.AlignedAlloc(512, 128);
        new Span<byte>(_slots, Slots * 64).Clear();   // touched before the rounds, as the kernel's pooled slots are
    }

    /// <summary>The checksum of the last round (kept, so the reads are not optimized away; 0 after a <see cref="Consume.Fold"/> round).</summary>
    public long Checksum { get; private set; }

    /// <summary>Moves every order through the ring to a consumer thread doing <paramref name="consume"/>; returns when it has seen them all.</summary>
    /// <exception cref="ObjectDisposedException">The floor was disposed.</exception>
    /// <exception cref="InvalidOperationException">The consumer failed (the inner exception says how).</exception>
    public void Run(BenchOrder[] orders, int publishBatch, Consume consume, IBatchHandler<BenchOrder>? fold)
    {
        ObjectDisposedException.ThrowIf(_slots is null, this);
        _consumerFailure = null;
        ref var published = ref _cursors[0];
        ref var consumed = ref _cursors[16];
        published = 0;
        consumed = 0;
        var total = (long)orders.Length;
        var consumer = consume == Consume.None ? null : new Thread(() =>
        {
            try
            {
                Checksum = ConsumeAll(total, consume, fold);
            }
            catch (Exception e)
            {
                // Let the producer stop waiting for room: it checks the failure while it waits.
                _consumerFailure = e;
            }
        }) { IsBackground = true, Name = "handoff-floor" };
        consumer?.Start();
        var header = Vector128.CreateScalar((ulong)(byte)EntryKind.Event).AsByte();
        long next = 0;
        fixed (BenchOrder* input = orders)
        {
            while (next < total)
            {
                var count = (int)Math.Min(publishBatch, total - next);
                var end = next + count;
                while (consumer is not null && end - Volatile.Read(ref consumed) > Slots)
                {
                    if (Volatile.Read(ref _consumerFailure) is not null) goto joined;
                    X86Base.Pause();
                }
                for (var s = next; s < end; s++)
                {
                    var slot = (byte*)(_slots + (s & Mask));
                    var source = (byte*)(input + s);
                    Avx.StoreAlignedNonTemporal(slot, Vector256.Create(header, Vector128.Load(source)));
                    Avx.StoreAlignedNonTemporal(slot + 32, Vector256.Load(source + 16));
                }
                Sse.StoreFence();
                Volatile.Write(ref published, end);
                next = end;
            }
        }
        joined:
        consumer?.Join();
        if (_consumerFailure is { } failure) throw new InvalidOperationException("the hand-off floor's consumer failed", failure);
    }

    private long ConsumeAll(long total, Consume consume, IBatchHandler<BenchOrder>? fold)
    {
        ref var published = ref _cursors[0];
        ref var consumed = ref _cursors[16];
        long next = 0, sum = 0;
        while (next < total)
        {
            var available = Volatile.Read(ref published);
            if (available == next)
            {
                X86Base.Pause();
                continue;
            }
            var start = (int)(next & Mask);
            var length = (int)Math.Min(Math.Min(available - next, Slots - start), MaxBatch);
            var run = new ReadOnlySpan<RingEntry<BenchOrder>>(_slots + start, length);
            if (consume == Consume.Fold)
            {
                fold!.OnBatch(run, next);
            }
            else
            {
                foreach (ref readonly var entry in run)
                    sum += entry.Event.ProductId ^ entry.Event.RevenueCents ^ entry.Event.TimestampMs ^ entry.Event.OrderId;
            }
            next += length;
            Volatile.Write(ref consumed, next);
        }
        return sum;
    }

    /// <summary>Frees the slots (once; later calls do nothing).</summary>
    public void Dispose()
    {
        if (_slots is null) return;
        NativeMemory.AlignedFree(_slots);
        NativeMemory.AlignedFree(_cursors);
        _slots = null;
        _cursors = null;
    }
}

using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// Hands out ring sequences to producers and keeps them from lapping the slowest consumer.
/// The two sealed subclasses (<see cref="SingleProducerSequencer"/>,
/// <see cref="MultiProducerSequencer"/>) hold the per-claim fast paths; the ring calls them
/// directly (no virtual call per event). What they share, the gating and the blocking wait
/// for room, lives here.
/// </summary>
internal abstract class Sequencer
{
    // How long a producer waiting for room polls before it sleeps on the signal.
    private static readonly TimeSpan s_capacitySpinTime = SpinThenBlockWaitStrategy.DefaultSpinTime;

    /// <summary>The ring size, a power of two.</summary>
    protected readonly int _bufferSize;

    // The consumers' sequences the producers must not lap. Replaced whole (copy on write) with a
    // release write while configuring; read with an acquire read on the producers' slow path.
    private Sequence[] _gatingSequences = [];

    // Set once by Close (halt); read by producers waiting for room so they never wait forever.
    private volatile bool _closed;

    // Whether pausing paid off in the producers' recent waits for room (see SpinPhase). Written
    // only on that slow path; with several producers a shared, racy hint.
    private SpinHistory _capacitySpinHistory;

    /// <summary>Creates a sequencer for a ring of <paramref name="bufferSize"/> slots.</summary>
    protected Sequencer(int bufferSize)
    {
        _bufferSize = bufferSize;
        Cursor = new Sequence();
        Signal = new ProgressSignal(room: false);
        RoomSignal = new ProgressSignal(room: true);
        AbandonedCount = new Sequence(0);
    }

    /// <summary>
    /// The cursor: for one producer, the highest published sequence; for several, the highest
    /// claimed one (publication is then tracked per slot).
    /// </summary>
    public Sequence Cursor { get; }

    /// <summary>
    /// Wakes processors asleep until entries are readable: notified on every publish (for the
    /// processors reading the ring) and every processed batch (for the handlers that run after it).
    /// </summary>
    public ProgressSignal Signal { get; }

    /// <summary>
    /// Wakes producers asleep until there is room: notified on every processed batch, never on a
    /// publish. Kept apart from <see cref="Signal"/> so that a publish does not wake producers that
    /// wait for room (each would find none, re-arm with a process-wide barrier and sleep again, while
    /// the publisher paid for the wake-up), and a processed batch does not wake idle processors.
    /// </summary>
    public ProgressSignal RoomSignal { get; }

    /// <summary>Slots published as abandoned so far (multi-producer claims disposed unpublished); processors skip them.</summary>
    public Sequence AbandonedCount { get; }

    /// <summary>The ring size.</summary>
    public int BufferSize => _bufferSize;

    /// <summary>True once the ring was halted: waiting for room throws instead of waiting forever.</summary>
    public bool IsClosed => _closed;

    /// <summary>The highest sequence handed to a producer (claimed, maybe not yet published).</summary>
    public abstract long ClaimedCursor { get; }

    /// <summary>
    /// The highest sequence at or after <paramref name="lowerBound"/> up to which every slot is
    /// published, given that <paramref name="availableSequence"/> was claimed. Called once per batch.
    /// </summary>
    public abstract long GetHighestPublished(long lowerBound, long availableSequence);

    /// <summary>Adds a consumer sequence to gate on (configuration time, not thread-safe with itself).</summary>
    public void AddGatingSequence(Sequence sequence)
    {
        var current = _gatingSequences;
        var next = new Sequence[current.Length + 1];
        current.CopyTo(next, 0);
        next[^1] = sequence;
        Volatile.Write(ref _gatingSequences, next);
    }

    /// <summary>The slowest gating sequence, or <paramref name="whenNone"/> when nothing gates the ring.</summary>
    public long GetMinimumGatingSequence(long whenNone)
    {
        var gating = Volatile.Read(ref _gatingSequences);
        var min = long.MaxValue;
        foreach (var s in gating)
            min = Math.Min(min, s.Value);
        return gating.Length == 0 ? whenNone : min;
    }

    /// <summary>Entries claimed and not yet consumed by the slowest consumer (a gauge; racy by nature).</summary>
    public long Occupancy
    {
        get
        {
            var claimed = ClaimedCursor;
            return Math.Max(0, claimed - GetMinimumGatingSequence(claimed));
        }
    }

    /// <summary>Halts the ring for producers: every wait for room ends with an exception, now and later.</summary>
    public void Close()
    {
        _closed = true;
        Signal.NotifyAll();
        RoomSignal.NotifyAll();
    }

    /// <summary>
    /// Waits until the slowest consumer passed <paramref name="wrapPoint"/> (so the claim does not
    /// overwrite unconsumed slots): spins briefly, then sleeps on <see cref="RoomSignal"/>, which every
    /// processed batch notifies. Returns the gating sequence it saw.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    protected long WaitForCapacity(long wrapPoint, long whenNone)
    {
        var spin = new SpinPhase(s_capacitySpinTime, ref _capacitySpinHistory);
        while (spin.SpinOnce())
        {
            var gating = GetMinimumGatingSequence(whenNone);
            if (gating >= wrapPoint)
            {
                spin.Satisfied();
                CountCapacityWait(in spin, blocked: false);
                return gating;
            }
            if (_closed)
                RingThrowHelper.ThrowHalted();
        }
        CountCapacityWait(in spin, blocked: true);
        var condition = new CapacityCondition(this, wrapPoint, whenNone);
        RoomSignal.Wait(ref condition);
        if (_closed)
            RingThrowHelper.ThrowHalted();
        return GetMinimumGatingSequence(whenNone);
    }

    private static void CountCapacityWait(in SpinPhase spin, bool blocked) => RingCounters.AddWait(RingCounters.Kind.ProducerWaits, in spin, blocked);

    /// <summary>True when <paramref name="count"/> more entries fit without lapping a consumer (or the ring is closed).</summary>
    public bool HasRoomFor(int count)
    {
        var claimed = ClaimedCursor;
        return claimed + count - _bufferSize <= GetMinimumGatingSequence(claimed);
    }

    /// <summary>Satisfied when the consumers passed a wrap point or the ring was closed.</summary>
    internal readonly struct CapacityCondition(Sequencer sequencer, long wrapPoint, long whenNone) : IWaitCondition
    {
        public bool IsSatisfied() => sequencer._closed || sequencer.GetMinimumGatingSequence(whenNone) >= wrapPoint;
    }

    /// <summary>Satisfied when a claim of some entries would not wait, or the ring was closed (asynchronous producers).</summary>
    internal readonly struct RoomCondition(Sequencer sequencer, int count) : IWaitCondition
    {
        public bool IsSatisfied() => sequencer._closed || sequencer.HasRoomFor(count);
    }
}

using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// What one processor waits on: the ring's published entries, or, for a handler that runs after
/// others, the slowest of those others' sequences. Its wait strategy decides how to pass the
/// time; <see cref="Alert"/> ends every wait (halt, drain).
/// </summary>
internal sealed class SequenceBarrier
{
    private readonly Sequencer _sequencer;
    private readonly Sequence _cursor;
    private readonly Sequence[] _dependents;
    private readonly WaitStrategy _waitStrategy;
    private readonly bool _multiProducer;

    // Set by Alert (halt or drain), read by every wait loop: a volatile bool, so a waiter that
    // re-reads it after being woken sees the store that preceded the wake-up.
    private volatile bool _alerted;

    /// <summary>Whether pausing paid off in this processor's recent waits (its thread only; see <see cref="SpinPhase"/>).</summary>
    internal SpinHistory SpinHistory;

    /// <summary>Creates a barrier over the ring's cursor, or over <paramref name="dependents"/> when there are any.</summary>
    /// <param name="sequencer">The ring's sequencer.</param>
    /// <param name="waitStrategy">How waits pass the time.</param>
    /// <param name="dependents">The processors this one runs after (none: it reads the ring's cursor).</param>
    /// <param name="idleTimeoutMs">
    /// How long one wait may last before it returns with nothing (<see cref="IsAlerted"/> still false) so
    /// the processor can call its handler's <see cref="IIdleHandler.OnIdle"/>; <see cref="Timeout.Infinite"/>: waits end only
    /// on progress or an alert.
    /// </param>
    public SequenceBarrier(Sequencer sequencer, WaitStrategy waitStrategy, Sequence[] dependents, int idleTimeoutMs = Timeout.Infinite)
    {
        IdleTimeoutMs = idleTimeoutMs;
        _sequencer = sequencer;
        _cursor = sequencer.Cursor;
        _dependents = dependents;
        _waitStrategy = waitStrategy;
        _multiProducer = sequencer is MultiProducerSequencer;
        YieldsAfterSmallBatch = _multiProducer && dependents.Length == 0 && waitStrategy.YieldsAfterSmallBatch;
        PausesAfterSmallBatch = !_multiProducer && dependents.Length == 0 && waitStrategy.YieldsAfterSmallBatch;
    }

    /// <summary>The signal blocking strategies sleep on.</summary>
    public ProgressSignal Signal => _sequencer.Signal;

    /// <summary>The longest one wait lasts with nothing to read, in ms; <see cref="Timeout.Infinite"/> for no limit.</summary>
    public int IdleTimeoutMs { get; }

    /// <summary>
    /// The <see cref="System.Diagnostics.Stopwatch"/> timestamp at which a wait that starts now gives up
    /// (<see cref="long.MaxValue"/> without an idle timeout). For the strategies that poll; read once per wait.
    /// </summary>
    public long IdleDeadline() => IdleTimeoutMs == Timeout.Infinite
        ? long.MaxValue
        : System.Diagnostics.Stopwatch.GetTimestamp() + IdleTimeoutMs * System.Diagnostics.Stopwatch.Frequency / 1000;

    /// <summary>True once <see cref="Alert"/> was called.</summary>
    public bool IsAlerted => _alerted;

    /// <summary>
    /// The highest sequence that may be read now when waiting for <paramref name="sequence"/>;
    /// less than <paramref name="sequence"/> means nothing new. Never waits.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Poll(long sequence)
    {
        if (_dependents.Length != 0)
            return MinimumOfDependents();
        var available = _cursor.Value;
        // Several producers: the cursor counts claims; publication is per slot.
        if (_multiProducer && available >= sequence)
            available = _sequencer.GetHighestPublished(sequence, available);
        return available;
    }

    /// <summary>
    /// True when <paramref name="sequence"/> was claimed by one of several producers and is not yet
    /// published (call after a poll that came up short): its holder is writing it now, or was
    /// preempted between claim and publish. Diagnostics (<see cref="RingCounters"/>).
    /// </summary>
    public bool IsClaimedUnpublished(long sequence) =>
        _multiProducer && _dependents.Length == 0 && _cursor.Value >= sequence;

    /// <summary>
    /// True when the processor should give up its CPU (<see cref="Thread.Yield"/>) after a batch
    /// smaller than <see cref="SmallBatch"/>: a processor reading a ring with several producers, on a
    /// strategy that yields anyway (<see cref="WaitStrategy.YieldsAfterSmallBatch"/>).
    /// </summary>
    /// <remarks>
    /// A processor running beside the producers on another CPU catches up with them after a few
    /// entries and keeps chasing them: batches of 5–30 entries, each entry's slot and availability
    /// lines read while the producers are still writing their neighbours, so every line crosses
    /// CPUs several times (counted on this 2-CPU machine: whole 3P→1C rounds at 2–8M events/s with
    /// 6–30 entries per batch, against 20–60M/s at 4,096). Pausing does not break that, since the
    /// next entry does arrive within the pause. A yield lets a producer waiting for this CPU run (the
    /// two then take turns and batches grow to thousands), or, with no other thread ready, costs one
    /// system call during which the producers get further ahead.
    /// </remarks>
    public bool YieldsAfterSmallBatch { get; }

    /// <summary>
    /// True when the processor should pause on its CPU (<see cref="SmallBatchPause"/>) after a batch
    /// smaller than <see cref="SmallBatch"/> while its spin history says the producer runs on another
    /// CPU (<see cref="SpinHistory.PausingPays"/>) and a few entries are already there again (the
    /// producer is streaming): a processor reading a ring with one producer, on a strategy that spins
    /// while waiting.
    /// </summary>
    /// <remarks>
    /// With producer and processor on different CPUs the processor, faster per entry, catches up
    /// after a few entries and then reads each slot line while the producer is still writing it, and
    /// the cursor line after nearly every publish: each line crosses CPUs twice or more, and the
    /// producer's stores wait for it. Measured on this 2-CPU machine (producer and processor pinned
    /// apart, loaded): batches of 8–11 entries, 15,000–65,000 processor waits per million entries, the
    /// producer at 38–52 CPU ns per entry (2 when both share a CPU). A pause of ~2 µs after a small
    /// batch lets the producer fill whole lines first: batches of ~240, 50–220 waits per million, the
    /// producer at 11–12 ns. The pause is skipped when the two share a CPU (the history says pausing
    /// does not pay there: nothing moves until the processor gives up the CPU), and when nothing is
    /// readable right after the batch (a producer publishing now and then: its next entry is caught by
    /// the wait at once). Its cost is latency while the producer streams: an entry published during
    /// the pause waits for it, at most ~2 µs.
    /// </remarks>
    public bool PausesAfterSmallBatch { get; }

    /// <summary><see cref="Thread.SpinWait"/> iterations of the pause after a small batch (about 2 µs; see <see cref="PausesAfterSmallBatch"/>).</summary>
    public const int SmallBatchPause = 150;

    /// <summary>Batches smaller than this count as small (see <see cref="YieldsAfterSmallBatch"/>).</summary>
    public const long SmallBatch = 64;

    /// <summary>
    /// Waits for <paramref name="sequence"/> and returns the highest readable sequence (at least
    /// <paramref name="sequence"/>), or something lower when the barrier was alerted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long WaitFor(long sequence)
    {
        var available = Poll(sequence);
        return available >= sequence ? available : _waitStrategy.WaitFor(sequence, this);
    }

    /// <summary>Ends the current and every later wait (until the processor exits).</summary>
    public void Alert()
    {
        _alerted = true;
        _sequencer.Signal.NotifyAll();
    }

    private long MinimumOfDependents()
    {
        var min = long.MaxValue;
        foreach (var d in _dependents)
            min = Math.Min(min, d.Value);
        return min;
    }

    /// <summary>Satisfied when <c>sequence</c> is readable or the barrier was alerted (blocking strategies).</summary>
    internal readonly struct ReadableCondition(SequenceBarrier barrier, long sequence) : IWaitCondition
    {
        public bool IsSatisfied() => barrier._alerted || barrier.Poll(sequence) >= sequence;
    }
}

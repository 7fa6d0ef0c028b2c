using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Kernel.Ring;

/// <summary>
/// Wakes threads that sleep until the ring makes progress: consumers waiting for published
/// entries, producers waiting for room, a shutdown waiting for a drain. Notifying costs one
/// load and a predictable branch when nobody sleeps, so producers and processors call
/// <see cref="Notify"/> after every publish or batch.
/// </summary>
/// <remarks>
/// <para>
/// The lost-wakeup problem: a notifier stores progress then reads <see cref="_armed"/>; a
/// waiter sets <see cref="_armed"/> then reads progress. Without a StoreLoad fence on both
/// sides each can miss the other's store (x86 store buffers allow it). A fence on every publish
/// would cost the fast path, so the fence is asymmetric: the waiter, on its slow path only,
/// runs <see cref="Interlocked.MemoryBarrierProcessWide"/>, which makes every other thread
/// execute a full barrier. After it, either the notifier's progress store is visible to the
/// waiter's re-check, or the notifier's later read of <see cref="_armed"/> sees the waiter.
/// The notifier's release write of progress and its volatile read of <see cref="_armed"/>
/// are not reordered by the JIT (volatile accesses keep their program order in RyuJIT).
/// </para>
/// <para>
/// A waiter checks its condition and enters <see cref="Monitor.Wait(object)"/> while holding
/// <see cref="_gate"/>, and notifiers pulse under the same lock, so no pulse falls between the
/// check and the wait.
/// </para>
/// </remarks>
internal sealed class ProgressSignal
{
    private readonly object _gate = new();

    // Which diagnostic counts this signal adds to (see RingCounters).
    private readonly RingCounters.Kind _sleepCount;
    private readonly RingCounters.Kind _wakeCount;

    /// <summary>Creates a signal; <paramref name="room"/> says whether producers wait on it (for the diagnostic counts).</summary>
    public ProgressSignal(bool room = false)
    {
        _sleepCount = room ? RingCounters.Kind.RoomSleeps : RingCounters.Kind.SignalSleeps;
        _wakeCount = room ? RingCounters.Kind.RoomWakes : RingCounters.Kind.SignalWakes;
    }

    // Number of sleeping waiters (sync and async). Written under _gate; diagnostics only.
    private int _waiters;

    // 1 while some waiter needs a wake-up. Set (under _gate) by a waiter before its process-wide
    // barrier and re-check; cleared (under _gate) by the notification that wakes it. Read
    // lock-free by notifiers (see the remarks for why that read needs no fence of its own).
    private int _armed;

    // Completed (and cleared) by the next notification; async waiters await it. Guarded by _gate.
    private TaskCompletionSource? _asyncWaiters;

    /// <summary>Threads (and async waits) asleep now; for tests and diagnostics.</summary>
    public int Waiters => Volatile.Read(ref _waiters);

    /// <summary>Wakes the sleepers, if any. Call after publishing progress (a release write).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Notify()
    {
        if (Volatile.Read(ref _armed) != 0)
            NotifyAll();
    }

    /// <summary>Wakes every sleeper unconditionally (halt, close, or after a fast-path check saw an armed waiter).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void NotifyAll()
    {
        TaskCompletionSource? asyncWaiters;
        RingCounters.Add(_wakeCount);
        lock (_gate)
        {
            // Disarm: the publishes that follow, until a waiter re-arms, skip the lock. Without
            // this a producer would take the lock on every publish until the woken thread ran.
            Volatile.Write(ref _armed, 0);
            Monitor.PulseAll(_gate);
            asyncWaiters = _asyncWaiters;
            _asyncWaiters = null;
        }
        // Continuations run asynchronously (the source was created so): never on this thread.
        asyncWaiters?.TrySetResult();
    }

    /// <summary>Blocks the calling thread until <paramref name="condition"/> holds, without spinning.</summary>
    public void Wait<TCondition>(ref TCondition condition)
        where TCondition : struct, IWaitCondition
        => Wait(ref condition, Timeout.Infinite);

    /// <summary>
    /// Blocks the calling thread until <paramref name="condition"/> holds or about
    /// <paramref name="millisecondsTimeout"/> passed (<see cref="Timeout.Infinite"/>: no limit), without
    /// spinning. False when it timed out with the condition still false.
    /// </summary>
    public bool Wait<TCondition>(ref TCondition condition, int millisecondsTimeout)
        where TCondition : struct, IWaitCondition
    {
        // A wake-up that leaves the condition false (another waiter's progress) does not restart the time.
        var deadline = millisecondsTimeout == Timeout.Infinite ? long.MaxValue : Environment.TickCount64 + millisecondsTimeout;
        lock (_gate)
        {
            Volatile.Write(ref _waiters, _waiters + 1);
            try
            {
                // Arm, fence, re-check; after every wake-up that leaves the condition false,
                // the same again (the wake-up disarmed the signal). A time-out leaves the signal
                // armed: the next notification then takes the lock once for nobody, and disarms it.
                while (true)
                {
                    Volatile.Write(ref _armed, 1);
                    Interlocked.MemoryBarrierProcessWide();
                    if (condition.IsSatisfied())
                        break;
                    RingCounters.Add(_sleepCount);
                    if (deadline == long.MaxValue)
                    {
                        Monitor.Wait(_gate);
                    }
                    else
                    {
                        var left = deadline - Environment.TickCount64;
                        if (left <= 0 || !Monitor.Wait(_gate, (int)Math.Min(left, int.MaxValue)))
                            return condition.IsSatisfied();
                    }
                    if (condition.IsSatisfied())
                        break;
                }
                return true;
            }
            finally
            {
                Volatile.Write(ref _waiters, _waiters - 1);
                Debug.Assert(_waiters >= 0, "more waiters left than entered");
            }
        }
    }

    /// <summary>
    /// Completes when <paramref name="condition"/> holds, without blocking a thread or polling.
    /// Allocates per sleep (this is the slow path of an asynchronous producer).
    /// </summary>
    public async ValueTask WaitAsync<TCondition>(TCondition condition, CancellationToken cancellationToken)
        where TCondition : struct, IWaitCondition
    {
        while (true)
        {
            Task wakeUp;
            lock (_gate)
            {
                if (condition.IsSatisfied())
                    return;
                _asyncWaiters ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                wakeUp = _asyncWaiters.Task;
                Volatile.Write(ref _waiters, _waiters + 1);
                Volatile.Write(ref _armed, 1);
            }
            try
            {
                Interlocked.MemoryBarrierProcessWide();
                if (!condition.IsSatisfied())
                    await wakeUp.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                    Volatile.Write(ref _waiters, _waiters - 1);
            }
        }
    }
}

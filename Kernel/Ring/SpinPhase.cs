using System.Diagnostics;

namespace Kernel.Ring;

/// <summary>
/// The spinning phase before a thread sleeps on the <see cref="ProgressSignal"/>: pauses on the
/// CPU for the first polls, then yields it (so a thread sharing the core can make the progress
/// being waited for), until a time budget runs out. Long enough that a steady stream never puts
/// a thread to sleep; short enough that an idle ring costs no CPU.
/// </summary>
/// <remarks>
/// Pausing only pays when the awaited thread runs on another CPU at the same time. When it shares
/// this CPU (two threads on one core, or a loaded machine), the pauses are pure waste: nothing
/// can change until this thread yields. The waiter's <see cref="SpinHistory"/> notices pause
/// phases that end empty and then skips pausing, going straight to yielding (with a probe now
/// and then to notice when pausing pays again).
/// </remarks>
internal ref struct SpinPhase
{
    private const int PausePolls = 16;

    private readonly ref SpinHistory _history;
    private readonly long _budgetTicks;
    private readonly bool _pause;
    private long _deadline;
    private int _polls;

    /// <summary>A phase that lasts <paramref name="budget"/> once it starts yielding; pauses first when <paramref name="history"/> says pausing pays.</summary>
    public SpinPhase(TimeSpan budget, ref SpinHistory history)
    {
        _budgetTicks = (long)(budget.TotalSeconds * Stopwatch.Frequency);
        _history = ref history;
        _pause = _budgetTicks > 0 && history.BeginWait();
    }

    /// <summary>Pauses once; false when the budget is spent and the caller should sleep instead.</summary>
    public bool SpinOnce()
    {
        if (_budgetTicks <= 0)
            return false;
        var polls = ++_polls;
        if (_pause)
        {
            if (polls <= PausePolls)
            {
                Thread.SpinWait(polls * 4);
                return true;
            }
            if (polls == PausePolls + 1)
                _history.Miss();
        }
        var now = Stopwatch.GetTimestamp();
        if (_deadline == 0)
            _deadline = now + _budgetTicks;
        else if (now > _deadline)
            return false;
        Thread.Yield();
        return true;
    }

    /// <summary>Pauses taken so far (diagnostics: <see cref="RingCounters"/>).</summary>
    public readonly int Pauses => _pause ? Math.Min(_polls, PausePolls) : 0;

    /// <summary>Polls that yielded (or ended the phase) so far (diagnostics).</summary>
    public readonly int Yields => _polls - Pauses;

    /// <summary>Tells the phase that the awaited condition held after the last <see cref="SpinOnce"/>.</summary>
    public readonly void Satisfied()
    {
        if (_pause && _polls <= PausePolls)
            _history.Hit();
    }
}

/// <summary>
/// Whether pausing on the CPU has been paying off for one waiter (a processor's barrier, a
/// producer): after <see cref="MissLimit"/> pause phases in a row that ended empty, waits skip
/// the pauses, except a probe now and then, which pauses again to find out whether the awaited
/// thread runs beside this one now. Probes start one wait in <see cref="FirstProbeInterval"/>;
/// each probe that finds nothing again halves how often they come, down to one wait in
/// <see cref="MaxProbeInterval"/> (a probe is a whole pause phase, ~20 µs of wasted CPU when
/// both threads share a CPU); a pause phase that pays starts the history afresh. Owned by one waiting thread
/// (for several producers, shared: a racy hint, and harmless when stale).
/// </summary>
internal struct SpinHistory
{
    /// <summary>Pause phases in a row that found nothing before pausing stops.</summary>
    public const int MissLimit = 2;

    /// <summary>While pausing is off, one wait in this many pauses anyway, at first.</summary>
    public const int FirstProbeInterval = 16;

    /// <summary>The longest interval between probes, reached after probes keep finding nothing.</summary>
    public const int MaxProbeInterval = 1024;

    private int _misses;
    private int _skipped;

    // Waits between probes; 0 stands for FirstProbeInterval (so a default value is a fresh history).
    private int _probeInterval;

    /// <summary>True while pausing pays off (fewer than <see cref="MissLimit"/> empty pause phases in a row): the awaited thread runs on another CPU.</summary>
    public readonly bool PausingPays => _misses < MissLimit;

    /// <summary>True when the wait starting now should pause before yielding.</summary>
    public bool BeginWait()
    {
        if (_misses < MissLimit)
            return true;
        if (++_skipped < ProbeInterval)
            return false;
        _skipped = 0;
        return true;
    }

    /// <summary>The current interval between probes (for tests).</summary>
    public readonly int ProbeInterval => _probeInterval == 0 ? FirstProbeInterval : _probeInterval;

    /// <summary>A pause phase ended with the condition satisfied.</summary>
    public void Hit() => this = default;

    /// <summary>A pause phase ended empty.</summary>
    public void Miss()
    {
        if (_misses < MissLimit)
            _misses++;
        else
            _probeInterval = Math.Min(ProbeInterval * 2, MaxProbeInterval);
    }
}

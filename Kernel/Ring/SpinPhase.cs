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
/// the pauses, except every <see cref="ProbeInterval"/>th one, which pauses again to find out
/// whether the awaited thread runs beside this one now. Owned by one waiting thread (for several
/// producers, shared: a racy hint, and harmless when stale).
/// </summary>
internal struct SpinHistory
{
    /// <summary>Pause phases in a row that found nothing before pausing stops.</summary>
    public const int MissLimit = 2;

    /// <summary>While pausing is off, one wait in this many pauses anyway.</summary>
    public const int ProbeInterval = 16;

    private int _misses;
    private int _skipped;

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

    /// <summary>A pause phase ended with the condition satisfied.</summary>
    public void Hit() => _misses = 0;

    /// <summary>A pause phase ended empty.</summary>
    public void Miss()
    {
        if (_misses < MissLimit)
            _misses++;
    }
}

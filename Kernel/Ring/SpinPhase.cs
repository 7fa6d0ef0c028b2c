using System.Diagnostics;

namespace Kernel.Ring;

/// <summary>
/// The spinning phase before a thread sleeps on the <see cref="ProgressSignal"/>: pauses on the
/// CPU for the first polls, then yields it (so a thread sharing the core can make the progress
/// being waited for), until a time budget runs out. Long enough that a steady stream never puts
/// a thread to sleep; short enough that an idle ring costs no CPU.
/// </summary>
internal struct SpinPhase
{
    private const int PausePolls = 16;

    private readonly long _budgetTicks;
    private long _deadline;
    private int _polls;

    /// <summary>A phase that lasts <paramref name="budget"/> once it starts yielding.</summary>
    public SpinPhase(TimeSpan budget)
    {
        _budgetTicks = (long)(budget.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>Pauses once; false when the budget is spent and the caller should sleep instead.</summary>
    public bool SpinOnce()
    {
        if (_budgetTicks <= 0)
            return false;
        var polls = ++_polls;
        if (polls <= PausePolls)
        {
            Thread.SpinWait(polls * 4);
            return true;
        }
        var now = Stopwatch.GetTimestamp();
        if (_deadline == 0)
            _deadline = now + _budgetTicks;
        else if (now > _deadline)
            return false;
        Thread.Yield();
        return true;
    }
}

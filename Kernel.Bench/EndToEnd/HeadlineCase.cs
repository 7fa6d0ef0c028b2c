namespace Kernel.Bench.EndToEnd;

/// <summary>
/// One way of running the headline query over the pre-generated orders. <see cref="Prepare"/> builds
/// what a run needs (threads, rings, logs, tables) before the clock starts; <see cref="Run"/> is
/// timed (publish everything, drain, emit every row); <see cref="Cleanup"/> tears down untimed.
/// </summary>
public abstract class HeadlineCase
{
    /// <summary>The case or baseline name in the records.</summary>
    public abstract string Name { get; }

    /// <summary>Totals of the last run.</summary>
    public abstract HeadlineTotals Totals { get; }

    /// <summary>Builds a fresh run (untimed).</summary>
    public abstract void Prepare();

    /// <summary>Runs the query over every order (timed).</summary>
    public abstract void Run(HeadlineOrder[] orders);

    /// <summary>Releases the run's resources (untimed).</summary>
    public virtual void Cleanup() { }
}

namespace Kernel.Bench.Ring;

/// <summary>
/// A producers-to-consumers hand-off set up once (threads started, pinned, warmed) and run many
/// times: each <see cref="Run"/> moves <see cref="EventsPerRun"/> events end to end.
/// </summary>
internal interface IThroughputScenario : IDisposable
{
    /// <summary>Events published per run (for multicast: published once, delivered to every consumer).</summary>
    long EventsPerRun { get; }

    /// <summary>Publishes the events and returns when every consumer has received all of them.</summary>
    void Run();

    /// <summary>What the last run's threads did (CPU time by side, CPUs they ran on), or null; for the per-round diagnostics.</summary>
    string? DescribeLastRun() => null;
}

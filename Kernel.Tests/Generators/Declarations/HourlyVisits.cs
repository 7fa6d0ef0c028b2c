namespace Kernel.Tests.Generators.Declarations;

/// <summary>One global row per hour of <see cref="Visit.At"/>: how many visits, and the sum of their ids (which ones).</summary>
[Aggregation(typeof(Visit))]
[TumblingWindow("1h")]
public partial struct HourlyVisits
{
    [WindowStart] public long HourStartMs;
    [Count] public long Visits;
    [Sum(nameof(Visit.Id))] public long IdSum;
}

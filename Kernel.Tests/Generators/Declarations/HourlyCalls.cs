namespace Kernel.Tests.Generators.Declarations;

/// <summary>One global row per UTC hour of <see cref="Call.At"/>: how many calls, and the sum of their ids (which ones).</summary>
[Aggregation(typeof(Call))]
[TumblingWindow("1h")]
public partial struct HourlyCalls
{
    [WindowStart] public long HourStartMs;
    [Count] public long Calls;
    [Sum(nameof(Call.Id))] public long IdSum;
}

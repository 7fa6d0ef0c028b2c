namespace Kernel.Tests.Generators.Declarations;

/// <summary>An event whose event time is a <see cref="DateTimeOffset"/> (taken by its instant, docs/generator.md).</summary>
[StreamEvent]
public partial struct Call
{
    public long Id;

    [EventTime]
    public DateTimeOffset At;
}

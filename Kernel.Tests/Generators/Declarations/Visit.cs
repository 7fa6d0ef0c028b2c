namespace Kernel.Tests.Generators.Declarations;

/// <summary>An event whose event time is a <see cref="DateTime"/> (taken as UTC whatever its kind, docs/generator.md).</summary>
[StreamEvent]
public partial struct Visit
{
    public long Id;

    [EventTime]
    public DateTime At;
}

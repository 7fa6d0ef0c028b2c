namespace Kernel.Tests.Generators.Declarations;

/// <summary>An event whose members several aggregates read: the generated Update reads each such member once into a local.</summary>
[StreamEvent]
public partial struct Measurement
{
    public long Sensor;
    public int Units;
    public double Reading;
    public long Cents;

    [EventTime]
    public long TimeMs;

    public readonly long Total => Cents * Units;
}

/// <summary>
/// The same members under several aggregates of different kinds and widths: an int read by Sum (into
/// long), Min (into int) and Max (into long); a double by Sum, Min, Max and Avg; a computed member by
/// Sum and Max; a long by Min and First/Last.
/// </summary>
[Aggregation(typeof(Measurement))]
public partial struct MemberStats
{
    [Key] public long Sensor;
    [Sum(nameof(Measurement.Units))] public long Units;
    [Min(nameof(Measurement.Units))] public int FewestUnits;
    [Max(nameof(Measurement.Units))] public long MostUnits;
    [Sum(nameof(Measurement.Reading))] public double ReadingSum;
    [Min(nameof(Measurement.Reading))] public double LowReading;
    [Max(nameof(Measurement.Reading))] public double HighReading;
    [Avg(nameof(Measurement.Reading))] public double MeanReading;
    [Sum(nameof(Measurement.Total))] public long Total;
    [Max(nameof(Measurement.Total))] public long LargestTotal;
    [Min(nameof(Measurement.Cents))] public long LowestCents;
    [First(nameof(Measurement.Cents))] public long FirstCents;
    [Last(nameof(Measurement.Cents))] public long LastCents;
}

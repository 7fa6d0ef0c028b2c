namespace Kernel.Tests.Generators.Declarations;

/// <summary>A sensor reading: enum key, DateTimeOffset event time, reals, booleans, an explicit column name.</summary>
[StreamEvent]
public partial struct Reading
{
    public Region Region;
    public int SensorId;

    [Column("temp_c")]
    public double Temperature;

    public decimal Price;
    public bool Valid;

    [EventTime]
    public DateTimeOffset At;
}

/// <summary>An enum key (enums are not IEquatable, so the generator wraps it in a Key struct).</summary>
public enum Region : short
{
    North = 1,
    South = 2,
}

/// <summary>Per-region extremes and the latest reading, over a DateTimeOffset event time.</summary>
[Aggregation(typeof(Reading))]
[Where(nameof(Reading.Valid))]
[TumblingWindow("1h")]
public partial struct RegionTemperatures
{
    [Key] public Region Region;
    [Min(nameof(Reading.Temperature))] public double Coldest;
    [Max(nameof(Reading.Temperature))] public double Hottest;
    [Last(nameof(Reading.SensorId))] public int LastSensor;
    [First(nameof(Reading.Temperature))] public double FirstTemperature;
    [Sum(nameof(Reading.Price))] public decimal Spend;
    [Avg(nameof(Reading.Price))] public decimal AvgPrice;
}

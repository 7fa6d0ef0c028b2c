using Kernel.Operators;
using Kernel.Tests.Generators.Declarations;

namespace Kernel.Tests.Generators;

/// <summary>
/// The generated Update reads an event member that several aggregates use once, into a local
/// (<see cref="MemberStats"/>): the rows must still equal a GROUP BY over the input, for every
/// aggregate kind and width sharing a member, through the spec and through the keyed operator.
/// </summary>
public sealed class HoistedMemberTests
{
    private static Measurement[] Input(int seed, int n, int sensors)
    {
        var rng = new Random(seed);
        var input = new Measurement[n];
        for (var i = 0; i < n; i++)
        {
            input[i] = new Measurement
            {
                Sensor = rng.Next(sensors),
                Units = rng.Next(-50, 1_000),
                Reading = Math.Round((rng.NextDouble() - 0.3) * 1_000, 3),
                Cents = rng.Next(-10_000, 1_000_000),
                TimeMs = rng.Next(0, 5_000),   // many ties: First keeps the earliest arrival, Last the latest
            };
        }
        return input;
    }

    private static void AssertRowsEqualGroupBy(int seed, Measurement[] input, Func<long, MemberStats?> rowOf)
    {
        foreach (var g in input.Select((m, i) => (m, i)).GroupBy(x => x.m.Sensor))
        {
            var row = rowOf(g.Key) ?? throw new Xunit.Sdk.XunitException($"seed {seed}: sensor {g.Key} missing");
            var ms = g.Select(x => x.m).ToArray();
            var first = g.OrderBy(x => x.m.TimeMs).ThenBy(x => x.i).First().m;
            var last = g.OrderByDescending(x => x.m.TimeMs).ThenByDescending(x => x.i).First().m;
            var expected = new MemberStats
            {
                Sensor = g.Key,
                Units = ms.Sum(m => (long)m.Units),
                FewestUnits = ms.Min(m => m.Units),
                MostUnits = ms.Max(m => m.Units),
                // Summed in input order, as the fold does, so the double sums round alike.
                ReadingSum = ms.Aggregate(0d, (s, m) => s + m.Reading),
                LowReading = ms.Min(m => m.Reading),
                HighReading = ms.Max(m => m.Reading),
                MeanReading = ms.Aggregate(0d, (s, m) => s + m.Reading) / ms.Length,
                Total = ms.Sum(m => m.Cents * m.Units),
                LargestTotal = ms.Max(m => m.Cents * m.Units),
                LowestCents = ms.Min(m => m.Cents),
                FirstCents = first.Cents,
                LastCents = last.Cents,
            };
            Assert.True(expected.Equals(row), $"seed {seed}: sensor {g.Key}: {Show(row)} vs expected {Show(expected)}");
        }
    }

    private static string Show(MemberStats r) =>
        $"{r.Sensor} {r.Units} {r.FewestUnits} {r.MostUnits} {r.ReadingSum} {r.LowReading} {r.HighReading} {r.MeanReading} {r.Total} {r.LargestTotal} {r.LowestCents} {r.FirstCents} {r.LastCents}";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SpecUpdate_SharedMembers_EqualsGroupBy(int seed)
    {
        var input = Input(seed, 5_000, 37);
        var states = new Dictionary<long, MemberStats.State>();
        foreach (var m in input)
        {
            if (!states.TryGetValue(m.Sensor, out var state)) MemberStats.Spec.Init(out state);
            MemberStats.Spec.Update(ref state, m);
            states[m.Sensor] = state;
        }
        Assert.Equal(input.Select(m => m.Sensor).Distinct().Count(), states.Count);
        AssertRowsEqualGroupBy(seed, input, key =>
        {
            if (!states.TryGetValue(key, out var state)) return null;
            MemberStats.Spec.ToRow(key, state, 0, 0, out var row);
            return row;
        });
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void KeyedOperator_SharedMembers_EqualsGroupBy(int seed)
    {
        // Dense sensor ids (direct mode), folded in uneven batches.
        var input = Input(seed, 20_000, 500);
        var op = new KeyedAggregator<Measurement, long, MemberStats.State, MemberStats, MemberStats.Spec>(initialCapacity: 16);
        for (var i = 0; i < input.Length; i += 777) op.Apply(input.AsSpan(i, Math.Min(777, input.Length - i)));
        Assert.Equal(input.Select(m => m.Sensor).Distinct().Count(), op.Count);
        AssertRowsEqualGroupBy(seed, input, key => op.TryGet(key, out var row) ? row : null);
    }
}

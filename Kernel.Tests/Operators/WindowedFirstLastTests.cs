using Kernel.Operators;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>
/// Integer [First] values of a tumbling window (the generator folds them with mask selects, no branch, in a
/// windowed Update), with a [Last] beside them: events out of order within the watermark bound and many equal
/// times, so that both the time order and the arrival order among equal times decide the result.
/// </summary>
[Aggregation(typeof(Tick))]
[TumblingWindow("10ms")]
[Watermark(MaxOutOfOrderness = "50ms")]
public partial struct TickFirsts
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
    [First(nameof(Tick.I))] public int FirstI;
    [First(nameof(Tick.I))] public long FirstIAsLong;
    [First(nameof(Tick.L))] public long FirstL;
    [First(nameof(Tick.U))] public uint FirstU;
    [First(nameof(Tick.UL))] public ulong FirstUL;
    [Last(nameof(Tick.L))] public long LastL;
}

/// <summary>
/// Windowed [First]/[Last] against a LINQ GROUP BY (key, window): First is the value of the earliest event
/// time, the earliest arrival among equal times; Last the latest time, the latest arrival among equal times.
/// </summary>
public sealed class WindowedFirstLastTests
{
    private static Tick[] Input(int seed, int n)
    {
        var rng = new Random(seed);
        var input = new Tick[n];
        for (var i = 0; i < n; i++)
        {
            var extreme = rng.Next(3) == 0;
            // Three events a millisecond, a quarter of them moved up to 30 ms back: out of order within the
            // 50 ms bound (none is late) and often at a time another event of the key already has.
            var t = (long)(i / 3);
            if (rng.Next(4) == 0) t = Math.Max(0, t - rng.Next(0, 31));
            input[i] = Tick.Random(rng, key: rng.Next(4), timeMs: t, extreme);
        }
        return input;
    }

    [Theory]
    [InlineData(21, 97)]
    [InlineData(22, 1)]
    [InlineData(23, 4_096)]
    public void WindowedFirstAndLast_EqualGroupBy(int seed, int batch)
    {
        var input = Input(seed, 3_000);
        var sink = new Rows();
        var op = new WindowedAggregator<Tick, long, TickFirsts.State, TickFirsts, TickFirsts.Spec>(sink, null, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < input.Length; i += batch) op.Apply(input.AsSpan(i, Math.Min(batch, input.Length - i)));
        op.EndOfInput();
        Assert.Equal(0, op.LateEvents);

        // Arrival order breaks ties: OrderBy is stable, so the first of the equal earliest times is the earliest arrival.
        var expected = input.GroupBy(t => (t.Key, Start: t.TimeMs / 10 * 10)).ToDictionary(g => g.Key, g =>
        {
            var first = g.OrderBy(t => t.TimeMs).First();
            var last = g.OrderBy(t => t.TimeMs).Last();
            return new TickFirsts
            {
                Key = g.Key.Key,
                StartMs = g.Key.Start,
                N = g.Count(),
                FirstI = first.I,
                FirstIAsLong = first.I,
                FirstL = first.L,
                FirstU = first.U,
                FirstUL = first.UL,
                LastL = last.L,
            };
        });
        Assert.True(sink.List.Count == expected.Count, $"seed {seed}: {sink.List.Count} rows, expected {expected.Count}");
        foreach (var row in sink.List)
        {
            Assert.True(expected.TryGetValue((row.Key, row.StartMs), out var e), $"seed {seed}: unexpected row {row.Key}@{row.StartMs}");
            Assert.True(e.Equals(row), $"seed {seed}: {row.Key}@{row.StartMs}: {Show(row)} vs expected {Show(e)}");
        }
    }

    private static string Show(TickFirsts r) =>
        $"n={r.N} first i={r.FirstI}/{r.FirstIAsLong} l={r.FirstL} u={r.FirstU} ul={r.FirstUL} last l={r.LastL}";

    private sealed class Rows : IRowSink<TickFirsts>
    {
        public List<TickFirsts> List { get; } = [];

        public void OnRow(in TickFirsts row, in RowRevision revision) => List.Add(row);
    }
}

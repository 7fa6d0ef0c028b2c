using Kernel.Operators;
using Kernel.Time;

namespace Kernel.Tests.Operators;

/// <summary>An event with one member of each integer width a windowed [Min]/[Max] folds without a branch.</summary>
[StreamEvent]
public partial struct Tick
{
    public long Key;
    public int I;
    public long L;
    public uint U;
    public ulong UL;

    [EventTime]
    public long TimeMs;

    private static readonly int[] s_ints = [int.MinValue, int.MinValue + 1, -1, 0, 1, int.MaxValue - 1, int.MaxValue];
    private static readonly long[] s_longs = [long.MinValue, long.MinValue + 1, -1, 0, 1, long.MaxValue - 1, long.MaxValue];
    private static readonly uint[] s_uints = [0, 1, 0x7FFF_FFFF, 0x8000_0000, uint.MaxValue - 1, uint.MaxValue];
    private static readonly ulong[] s_ulongs = [0, 1, long.MaxValue, 1UL << 63, ulong.MaxValue - 1, ulong.MaxValue];

    /// <summary>
    /// A tick of <paramref name="key"/> at <paramref name="timeMs"/> with random values: when
    /// <paramref name="extreme"/>, each at or next to its type's extremes (where a wrong mask or sign shows).
    /// </summary>
    public static Tick Random(Random rng, long key, long timeMs, bool extreme) => new()
    {
        Key = key,
        I = extreme ? s_ints[rng.Next(s_ints.Length)] : rng.Next(-1_000, 1_000),
        L = extreme ? s_longs[rng.Next(s_longs.Length)] : rng.NextInt64(-1_000_000, 1_000_000),
        U = extreme ? s_uints[rng.Next(s_uints.Length)] : (uint)rng.Next(0, 1_000_000),
        UL = extreme ? s_ulongs[rng.Next(s_ulongs.Length)] : (ulong)rng.NextInt64(0, long.MaxValue) * 2,
        TimeMs = timeMs,
    };
}

/// <summary>
/// Integer extremes of a tumbling window: the generator folds them as mask selects (no branch), the int
/// member also into a long (the value cast to the field's type first).
/// </summary>
[Aggregation(typeof(Tick))]
[TumblingWindow("10ms")]
public partial struct TickExtremes
{
    [Key] public long Key;
    [WindowStart] public long StartMs;
    [Count] public long N;
    [Min(nameof(Tick.I))] public int MinI;
    [Max(nameof(Tick.I))] public long MaxI;
    [Min(nameof(Tick.L))] public long MinL;
    [Max(nameof(Tick.L))] public long MaxL;
    [Min(nameof(Tick.U))] public uint MinU;
    [Max(nameof(Tick.U))] public uint MaxU;
    [Min(nameof(Tick.UL))] public ulong MinUL;
    [Max(nameof(Tick.UL))] public ulong MaxUL;
}

/// <summary>
/// Windowed integer [Min]/[Max] (branch-free in the generated Update, unlike the keyed ones) against a LINQ
/// GROUP BY (key, window), with values at and near each type's extremes, where a wrong mask or sign would show.
/// </summary>
public sealed class WindowedExtremesTests
{
    private static Tick[] Input(int seed, int n)
    {
        var rng = new Random(seed);
        var input = new Tick[n];
        for (var i = 0; i < n; i++)
            input[i] = Tick.Random(rng, key: rng.Next(5), timeMs: i / 3, extreme: rng.Next(4) == 0);   // in order: no event is late
        return input;
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    public void WindowedIntegerExtremes_EqualGroupBy(int seed)
    {
        var input = Input(seed, 3_000);
        var sink = new Rows();
        var op = new WindowedAggregator<Tick, long, TickExtremes.State, TickExtremes, TickExtremes.Spec>(sink, null, new WindowOptions { Clock = new ManualClock() });
        for (var i = 0; i < input.Length; i += 97) op.Apply(input.AsSpan(i, Math.Min(97, input.Length - i)));
        op.EndOfInput();

        var expected = input.GroupBy(t => (t.Key, Start: t.TimeMs / 10 * 10)).ToDictionary(g => g.Key, g => new TickExtremes
        {
            Key = g.Key.Key,
            StartMs = g.Key.Start,
            N = g.Count(),
            MinI = g.Min(t => t.I),
            MaxI = g.Max(t => t.I),
            MinL = g.Min(t => t.L),
            MaxL = g.Max(t => t.L),
            MinU = g.Min(t => t.U),
            MaxU = g.Max(t => t.U),
            MinUL = g.Min(t => t.UL),
            MaxUL = g.Max(t => t.UL),
        });
        Assert.True(sink.List.Count == expected.Count, $"seed {seed}: {sink.List.Count} rows, expected {expected.Count}");
        foreach (var row in sink.List)
        {
            Assert.True(expected.TryGetValue((row.Key, row.StartMs), out var e), $"seed {seed}: unexpected row {row.Key}@{row.StartMs}");
            Assert.True(e.Equals(row), $"seed {seed}: {row.Key}@{row.StartMs}: {Show(row)} vs expected {Show(e)}");
        }
    }

    private static string Show(TickExtremes r) =>
        $"n={r.N} i=[{r.MinI},{r.MaxI}] l=[{r.MinL},{r.MaxL}] u=[{r.MinU},{r.MaxU}] ul=[{r.MinUL},{r.MaxUL}]";

    private sealed class Rows : IRowSink<TickExtremes>
    {
        public List<TickExtremes> List { get; } = [];

        public void OnRow(in TickExtremes row, in RowRevision revision) => List.Add(row);
    }
}

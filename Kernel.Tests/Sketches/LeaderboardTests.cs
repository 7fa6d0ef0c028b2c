using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class LeaderboardTests
{
    private static (long Key, long Value)[] Expected(Dictionary<long, long> table, int k) =>
        table.OrderByDescending(p => p.Value).ThenBy(p => p.Key).Take(k).Select(p => (p.Key, p.Value)).ToArray();

    private static (long Key, long Value)[] Actual(Leaderboard<long, long> board)
    {
        var buffer = new LeaderboardEntry<long, long>[board.K];
        var n = board.CopyTop(buffer);
        return buffer.Take(n).Select(e => (e.Key, e.Value)).ToArray();
    }

    [Theory]
    [InlineData(1, 10, 300, 16)]
    [InlineData(2, 1, 50, 1024)]
    [InlineData(3, 25, 40, 8)]
    [InlineData(4, 10, 2000, 64)]
    public void Top_EqualsASortOfTheWholeTable_AfterRandomUpdates(int seed, int k, int keys, int capacity)
    {
        var random = new Random(seed);
        var board = new Leaderboard<long, long>(k, capacity);
        var table = new Dictionary<long, long>();
        for (var step = 0; step < 20_000; step++)
        {
            var key = (long)random.Next(keys);
            switch (random.Next(10))
            {
                case < 5: // revenue arrives (or is refunded): value moves up or down
                    var delta = (long)random.Next(-200, 1000);
                    board.Add(key, delta);
                    table[key] = table.GetValueOrDefault(key) + delta;
                    break;
                case < 8: // the aggregate reports a new absolute value, with ties likely
                    var value = (long)random.Next(0, 50) * 100;
                    board.Set(key, value);
                    table[key] = value;
                    break;
                default: // the key leaves (e.g. a late correction removes it)
                    Assert.Equal(table.Remove(key), board.Remove(key));
                    break;
            }
            if (step % 97 == 0 || step > 19_900)
            {
                Assert.True(Expected(table, k).SequenceEqual(Actual(board)), $"seed {seed} step {step}: leaderboard differs from the sorted table");
                Assert.Equal(table.Count, board.Count);
            }
        }
        foreach (var (key, value) in table)
        {
            Assert.True(board.TryGetValue(key, out var held));
            Assert.Equal(value, held);
        }
    }

    [Fact]
    public void Doubles_Rank_AndNaNIsRefused()
    {
        var board = new Leaderboard<int, double>(2);
        board.Set(1, 2.5);
        board.Set(2, -1);
        board.Set(3, 7);
        board.Add(2, 10);
        var top = new LeaderboardEntry<int, double>[5];
        Assert.Equal(2, board.CopyTop(top));
        Assert.Equal(new LeaderboardEntry<int, double>(2, 9), top[0]);
        Assert.Equal(new LeaderboardEntry<int, double>(3, 7), top[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => board.Set(4, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Leaderboard<int, double>(0));
    }

    [Fact]
    public void Clear_StartsANewWindow()
    {
        var board = new Leaderboard<long, long>(3, 4);
        for (var i = 0; i < 10; i++) board.Set(i, i);
        board.Clear();
        Assert.Equal(0, board.Count);
        board.Set(42, 1);
        Assert.Equal([(42L, 1L)], Actual(board));
    }

    [Fact]
    public void Updates_AllocateNothing_WithinCapacity()
    {
        var board = new Leaderboard<long, long>(10, 4096);
        var random = new Random(5);
        var keys = new long[100_000];
        var deltas = new long[100_000];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = random.Next(4000);
            deltas[i] = random.Next(-100, 500);
        }
        var top = new LeaderboardEntry<long, long>[10];
        void Run()
        {
            for (var i = 0; i < keys.Length; i++) board.Add(keys[i], deltas[i]);
            board.CopyTop(top);
        }
        Run();
        var allocated = Allocations.SteadyState(() =>
        {
            Run();
        });
        Assert.Equal(0, allocated);
    }
}

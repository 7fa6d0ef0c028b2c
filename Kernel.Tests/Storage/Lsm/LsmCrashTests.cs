using System.Globalization;
using Kernel.Storage.Lsm;
using Kernel.Tests.Host.Lsm;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// Kills a child process that writes, flushes and compacts, at a random moment, then reopens:
/// everything reported durable must be there, nothing may be wrong, and the store must keep working.
/// </summary>
public sealed class LsmCrashTests
{
    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public async Task KilledDuringFlushOrCompaction_ReopensConsistent(int seed)
    {
        using var dir = new TempDirectory("crash");
        var rng = new Random(seed);
        long durable = 0;
        for (var round = 0; round < 3; round++)
        {
            var (reported, _) = await RunAndKill(dir.Path, durable, seed * 10 + round, rng.Next(2, 12));
            Assert.True(reported >= durable, $"seed {seed} round {round}: reported {reported} < {durable}");
            durable = reported;
            using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path });
            Verify(store, durable, $"seed {seed} round {round}");
            // The next child starts where durability ended: later keys may or may not have survived.
        }
    }

    private static async Task<(long Durable, string Stderr)> RunAndKill(string dir, long start, int seed, int durableReports)
    {
        using var p = ChildProcess.Start("lsm-crash", dir, start.ToString(CultureInfo.InvariantCulture), seed.ToString(CultureInfo.InvariantCulture));
        var durable = start;
        var reports = 0;
        try
        {
            var reading = Task.Run(async () =>
            {
                while (await p.StandardOutput.ReadLineAsync() is { } line)
                {
                    if (!line.StartsWith("durable ", StringComparison.Ordinal)) continue;
                    durable = long.Parse(line.AsSpan(8), CultureInfo.InvariantCulture);
                    if (++reports >= durableReports) return;
                }
            });
            await reading.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        Assert.True(reports >= durableReports, $"child (seed {seed}) ended early: {await p.StandardError.ReadToEndAsync()}");
        return (durable, "");
    }

    private static void Verify(LsmStore store, long durable, string where)
    {
        for (long i = 0; i < durable; i++)
        {
            var v = store.Get(LsmCrashScenario.KeyOf(i));
            if (LsmCrashScenario.IsRangeDeleted(i) && (i / 100 * 100 + 59) < durable)
                Assert.True(v is null, $"{where}: key {i} was range-deleted before durable {durable} but is present");
            else if (!LsmCrashScenario.IsRangeDeleted(i))
                Assert.True(v is not null && v.AsSpan().SequenceEqual(LsmCrashScenario.ValueOf(i)), $"{where}: durable key {i} (durable {durable}) missing or wrong");
        }
        // Whatever else survived must be correct and in order.
        using var it = store.CreateIterator();
        long previous = -1;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var i = System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(it.Key);
            Assert.True(i > previous, $"{where}: key {i} after {previous}");
            Assert.True(it.Value.SequenceEqual(LsmCrashScenario.ValueOf(i)), $"{where}: key {i} has a wrong value");
            previous = i;
        }
    }
}

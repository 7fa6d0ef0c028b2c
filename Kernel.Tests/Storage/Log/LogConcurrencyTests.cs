using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class LogConcurrencyTests
{
    [Fact]
    public async Task TailingReader_WakesOnAppend()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 64 * 1024 });
        using var reader = log.OpenReader(0);
        Assert.False(reader.TryRead(out _));
        // The append comes once the reader is parked, and only the writer's signal can wake it: it waits
        // without a timeout and without the periodic re-check, so a lost wake-up leaves it parked (until
        // the log's disposal) and the wait below times out.
        log.DisableWaitBackstop();
        using var parked = new ManualResetEventSlim();
        log.ReaderParkingHook = parked.Set;
        var tail = Task.Run(() => reader.WaitForData(Timeout.InfiniteTimeSpan));
        Assert.True(parked.Wait(TimeSpan.FromSeconds(30)), "the reader never parked");
        log.Append([5, 6], 3);
        Assert.True(await tail.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(reader.TryRead(out var r));
        Assert.Equal(new byte[] { 5, 6 }, r.Payload.ToArray());
    }

    [Fact]
    public void TailingReader_TimesOutWhenNothingComes()
    {
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 64 * 1024 });
        using var reader = log.OpenReader(0);
        Assert.False(reader.WaitForData(TimeSpan.FromMilliseconds(30)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task OneWriterManyReaders_EveryReaderSeesEveryRecordInOrder(int seed)
    {
        const int records = 20_000;
        const int maxLength = 300;
        using var dir = new TempLogDirectory();
        using var log = SegmentedLog.Open(dir.Path, new LogOptions { SegmentBytes = 256 * 1024, IndexIntervalBytes = 1024 });
        var readers = Enumerable.Range(0, 3).Select(i => Task.Run(() =>
        {
            using var reader = log.OpenReader(0);
            long expected = 0;
            while (expected < records)
            {
                if (!reader.TryRead(out var r))
                {
                    if (!reader.WaitForData(TimeSpan.FromSeconds(30))) return $"seed {seed}, reader {i}: stalled at {expected}";
                    continue;
                }
                if (r.Offset != expected) return $"seed {seed}, reader {i}: offset {r.Offset}, expected {expected}";
                if (!LogTestData.Matches(r.Payload, expected, maxLength)) return $"seed {seed}, reader {i}: bad bytes at {expected}";
                expected++;
            }
            return null;
        })).ToArray();
        var writer = Task.Run(() =>
        {
            var rng = new Random(seed);
            var buffer = new byte[maxLength];
            long o = 0;
            while (o < records)
            {
                var batch = rng.Next(1, 50);
                for (var j = 0; j < batch && o < records; j++, o++)
                {
                    var n = LogTestData.LengthOf(o, maxLength);
                    LogTestData.Fill(log.Reserve(n), o);
                    log.Complete(LogTestData.TimeOf(o));
                }
                log.Commit();
            }
        });
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        var results = await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.All(results, Assert.Null);
    }
}

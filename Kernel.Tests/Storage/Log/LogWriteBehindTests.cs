using Kernel.Storage.Log;

namespace Kernel.Tests.Storage.Log;

public sealed class LogWriteBehindTests
{
    /// <summary>
    /// Write-behind only starts disk writes early: records still round-trip across segment rolls
    /// and a reopen, and it does not advance the durable offset by itself.
    /// </summary>
    [Theory]
    [InlineData(4096, false)]
    [InlineData(8192, true)]
    [InlineData(2 << 20, true)] // whole 2 MiB blocks, the mappings dropped while a reader tails the writer
    public void WriteBehind_KeepsRecordsAndDurability_AcrossRollsAndReopen(int writeBehindBytes, bool prepare)
    {
        const int maxLength = 300;
        var big = writeBehindBytes >= 1 << 20;
        var count = big ? 200_000L : 3000;
        using var dir = new TempLogDirectory();
        var options = new LogOptions
        {
            SegmentBytes = big ? 8L << 20 : 64 * 1024,
            FlushPolicy = FlushPolicy.OnDemand,
            PrepareNextSegment = prepare,
            WriteBehindBytes = writeBehindBytes,
        };
        using (var log = SegmentedLog.Open(dir.Path, options))
        {
            using (var tail = log.OpenReader(0))
            {
                long tailed = 0;
                for (long o = 0; o < count / 2; o++)
                {
                    log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o));
                    if (o % 1000 != 999) continue;
                    // Right behind the writer: pages whose mappings write-behind dropped are read again.
                    while (tail.TryRead(out var t))
                    {
                        Assert.True(LogTestData.Matches(t.Payload, t.Offset, maxLength), $"tailed record {t.Offset} has wrong bytes");
                        tailed++;
                    }
                }
                Assert.True(tailed >= count / 2 - 1000, "the reader tailed the writer");
            }
            Assert.Equal(0, log.DurableOffset);
            log.TruncateAfter(count / 4); // write-behind restarts from the cut
            for (var o = count / 4 + 1; o < count; o++) log.Append(LogTestData.Payload(o, maxLength), LogTestData.TimeOf(o));
            Assert.Equal(0, log.DurableOffset);
            Assert.Equal(count, log.Flush());
            Assert.True(log.SegmentCount > 4, "the test needs segment rolls");
        }
        using var reopened = SegmentedLog.Open(dir.Path, options);
        using var reader = reopened.OpenReader(0);
        for (long o = 0; o < count; o++)
        {
            Assert.True(reader.TryRead(out var r), $"record {o} missing");
            Assert.Equal(o, r.Offset);
            Assert.True(LogTestData.Matches(r.Payload, o, maxLength), $"record {o} has wrong bytes");
        }
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void NegativeWriteBehind_IsRejected()
    {
        using var dir = new TempLogDirectory();
        Assert.Throws<ArgumentOutOfRangeException>(() => SegmentedLog.Open(dir.Path, new LogOptions { WriteBehindBytes = -1 }));
    }
}

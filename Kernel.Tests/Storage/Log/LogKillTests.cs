using System.Globalization;
using Kernel.Storage.Log;
using Kernel.Tests.Host.Log;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Storage.Log;

public sealed class LogKillTests
{
    [Fact]
    public Task KilledWhileAppending_FlushedRecordsSurvive_FewKills() => KillLoop(seed: 5, kills: 3);

    [Fact]
    [Trait("Category", "Soak")]
    public Task KilledWhileAppending_FlushedRecordsSurvive_ManyKills() => KillLoop(seed: 6, kills: 40);

    /// <summary>The same with retention and segment recycling: killed while spares are zeroed, renamed and filled.</summary>
    [Fact]
    public Task KilledWhileAppending_WithRecycledSegments_FlushedRecordsSurvive() => KillLoop(seed: 7, kills: 3, recycle: true);

    [Fact]
    [Trait("Category", "Soak")]
    public Task KilledWhileAppending_WithRecycledSegments_FlushedRecordsSurvive_ManyKills() => KillLoop(seed: 8, kills: 40, recycle: true);

    private static async Task KillLoop(int seed, int kills, bool recycle = false)
    {
        const long segmentBytes = 64 * 1024;
        using var dir = new TempLogDirectory();
        var rng = new Random(seed);
        long lastDurable = 0;
        var retentionRan = false;
        for (var round = 0; round < kills; round++)
        {
            var where = $"seed {seed}, round {round}";
            using (var child = ChildProcess.Start("log-append", dir.Path, segmentBytes.ToString(CultureInfo.InvariantCulture), rng.Next().ToString(CultureInfo.InvariantCulture), recycle ? "recycle" : "plain"))
            {
                // Kill after a random number of durable reports: a point chosen by the child's progress, not by a clock.
                var reports = rng.Next(1, 40);
                long durable = -1;
                try
                {
                    var seen = 0;
                    while (seen < reports)
                    {
                        var line = await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
                        if (line is null)
                            Assert.Fail($"{where}: the child exited early: {await child.StandardError.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30))}");
                        if (line.StartsWith("durable ", StringComparison.Ordinal))
                        {
                            durable = long.Parse(line.AsSpan(8), CultureInfo.InvariantCulture);
                            seen++;
                        }
                    }
                }
                finally
                {
                    child.Kill(entireProcessTree: true);
                    await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                }
                Assert.True(durable >= lastDurable, $"{where}: durable went back from {lastDurable} to {durable}");
                lastDurable = durable;
            }

            // Reopened with the child's options, so that its spares are kept for the next round.
            using var log = SegmentedLog.Open(dir.Path, recycle
                ? LogAppendScenario.RecyclingOptions(segmentBytes, FlushPolicy.None)
                : new LogOptions { SegmentBytes = segmentBytes, FlushPolicy = FlushPolicy.None });
            Assert.True(log.EndOffset >= lastDurable, $"{where}: reopened with {log.EndOffset} records, but {lastDurable} were reported durable ({log.Recovery})");
            retentionRan |= log.StartOffset > 0;
            using var reader = log.OpenReader(log.StartOffset);
            var payload = new byte[LogAppendScenario.MaxPayload];
            var expected = log.StartOffset;
            while (reader.TryRead(out var r))
            {
                Assert.True(r.Offset == expected, $"{where}: offset {r.Offset}, expected {expected}");
                var want = payload.AsSpan(0, LogAppendScenario.LengthOf(expected));
                LogAppendScenario.Fill(want, expected);
                Assert.True(r.Payload.SequenceEqual(want), $"{where}: record {expected} has the wrong bytes");
                Assert.Equal(LogAppendScenario.TimeOf(expected), r.Timestamp);
                expected++;
            }
            Assert.Equal(log.EndOffset, expected);
        }
        Assert.True(!recycle || retentionRan, $"seed {seed}: retention never freed a segment, so nothing was recycled");
    }
}

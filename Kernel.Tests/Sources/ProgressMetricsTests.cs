using System.Diagnostics.Metrics;
using System.Text;
using Kernel.Sources;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class ProgressMetricsTests
{
    [Fact]
    public async Task Progress_AndKernelMeter_CountBytesRecordsAndBadRecords()
    {
        // [0,6) "1,2,3\n", [6,12) "4,5,6\n", [12,16) "bad\n", [16,21) "7,8,9": 3 records, 1 bad, 21 bytes.
        var data = Encoding.ASCII.GetBytes("1,2,3\n4,5,6\nbad\n7,8,9");
        var name = "metrics-" + Guid.NewGuid().ToString("N");
        long bytes = 0, records = 0, bad = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == SourceMetrics.MeterName && instrument.Name.StartsWith("kernel.source.", StringComparison.Ordinal))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key != "source" || (string?)tag.Value != name) continue;
                switch (instrument.Name)
                {
                    case "kernel.source.bytes_read": Interlocked.Add(ref bytes, value); break;
                    case "kernel.source.records_read": Interlocked.Add(ref records, value); break;
                    case "kernel.source.bad_records": Interlocked.Add(ref bad, value); break;
                }
            }
        });
        listener.Start();

        var source = new StreamSource<Row, RowParser>(new MemoryStream(data), name, new SourceOptions { BadRecordPolicy = BadRecordPolicy.SkipAndCount });
        await source.RunAsync(new CollectingTarget<Row>()).WaitAsync(SourceRun.Timeout);

        Assert.Equal((21L, 3L, 1L), (source.Progress.BytesRead, source.Progress.RecordsRead, source.Progress.BadRecords));
        Assert.Equal((21L, 3L, 1L), (Interlocked.Read(ref bytes), Interlocked.Read(ref records), Interlocked.Read(ref bad)));
        Assert.True(source.Progress.Elapsed > TimeSpan.Zero);
        Assert.True(source.Progress.RecordsPerSecond > 0);
        Assert.True(source.Progress.BytesPerSecond > 0);
        Assert.Equal(21, source.Position);
    }
}

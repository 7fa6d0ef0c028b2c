using System.Diagnostics.Metrics;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>The store's meter, read through a <see cref="MeterListener"/> as any exporter would.</summary>
public sealed class LsmMetricsTests
{
    private static byte[] Key(int i) => [(byte)(i >> 8), (byte)i];

    /// <summary>Collects the observable instruments of the store in <paramref name="dir"/> (other tests' stores are filtered out by the directory tag).</summary>
    private static Dictionary<string, double> Collect(string dir)
    {
        var values = new Dictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == LsmStore.MeterName
                && instrument.Meter.Tags?.Any(t => t.Key == "lsm.directory" && (string?)t.Value == dir) == true)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => values[i.Name] = values.GetValueOrDefault(i.Name) + v);
        listener.SetMeasurementEventCallback<int>((i, v, _, _) => values[i.Name] = values.GetValueOrDefault(i.Name) + v);
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => values[i.Name] = values.GetValueOrDefault(i.Name) + v);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    [Fact]
    public void Meter_ReportsFlushesCompactionsCacheAndAmplification()
    {
        using var dir = new TempDirectory("metrics");
        using var store = LsmStore.Open(new LsmOptions { Directory = dir.Path, AutoCompaction = false, BlockBytes = 256 });
        for (var flush = 0; flush < 3; flush++)
        {
            for (var i = 0; i < 400; i++) store.Put(Key(i), new byte[12]);   // 400 x (2 + 12) user bytes per round
            store.Flush();
        }
        var m = Collect(dir.Path);
        Assert.Equal(3, m["lsm.flushes"]);
        Assert.Equal(0, m["lsm.compactions"]);
        Assert.Equal(3 * 400 * 14, m["lsm.user.bytes_written"]);
        Assert.Equal(3, m["lsm.tables"]);   // summed over levels: three level-0 tables
        Assert.Equal(Directory.GetFiles(dir.Path, "*.sst").Sum(f => new FileInfo(f).Length), m["lsm.disk.bytes"]);
        Assert.Equal(m["lsm.flush.bytes"], m["lsm.disk.bytes"]);
        Assert.Equal(m["lsm.flush.bytes"] / (3 * 400 * 14), m["lsm.write_amplification"], 6);
        Assert.Equal(0, m["lsm.write_stalls"]);

        store.CompactAll();
        m = Collect(dir.Path);
        Assert.Equal(1, m["lsm.compactions"]);
        Assert.Equal(m["lsm.flush.bytes"], m["lsm.compaction.bytes_read"]);   // the three flushed tables were the input
        var onDisk = Directory.GetFiles(dir.Path, "*.sst").Sum(f => new FileInfo(f).Length);
        Assert.Equal(onDisk, m["lsm.compaction.bytes_written"]);
        Assert.Equal(1.0, m["lsm.space_amplification"]);

        // One key read twice: the first read loads its block (a miss), the second finds it cached.
        var misses = m["lsm.block_cache.misses"];
        var hits = m["lsm.block_cache.hits"];
        Assert.NotNull(store.Get(Key(7)));
        Assert.NotNull(store.Get(Key(7)));
        m = Collect(dir.Path);
        Assert.Equal(misses + 1, m["lsm.block_cache.misses"]);
        Assert.Equal(hits + 1, m["lsm.block_cache.hits"]);
        Assert.True(m["lsm.block_cache.bytes"] > 0);
        Assert.Equal(1.0, m["lsm.read_amplification"]);   // every read so far probed exactly one table
    }

    [Fact]
    public void Meter_IsGoneWithTheStore()
    {
        using var dir = new TempDirectory("metrics");
        var store = LsmStore.Open(new LsmOptions { Directory = dir.Path });
        Assert.NotEmpty(Collect(dir.Path));
        store.Dispose();
        Assert.Empty(Collect(dir.Path));
    }
}

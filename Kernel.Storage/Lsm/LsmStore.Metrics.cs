using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    /// <summary>
    /// The name of the <see cref="System.Diagnostics.Metrics.Meter"/> each store publishes (one
    /// meter per open store, tagged <c>lsm.directory</c>, disposed with the store). Every
    /// instrument is observable: values are read when a listener collects, so nothing is added
    /// to the write or read paths. Instruments: <c>lsm.write_amplification</c>,
    /// <c>lsm.read_amplification</c>, <c>lsm.space_amplification</c> (gauges);
    /// <c>lsm.flushes</c>, <c>lsm.flush.bytes</c>, <c>lsm.compactions</c>,
    /// <c>lsm.compaction.bytes_read</c>, <c>lsm.compaction.bytes_written</c>,
    /// <c>lsm.user.bytes_written</c>, <c>lsm.write_stalls</c>, <c>lsm.write_stall.time</c>,
    /// <c>lsm.block_cache.hits</c>, <c>lsm.block_cache.misses</c> (counters);
    /// <c>lsm.block_cache.bytes</c>, <c>lsm.disk.bytes</c>, <c>lsm.tables</c> (gauges).
    /// </summary>
    public const string MeterName = "Kernel.Storage.Lsm";

    private Meter CreateMeter()
    {
        var meter = new Meter(MeterName, null, [new KeyValuePair<string, object?>("lsm.directory", _dir)]);
        meter.CreateObservableGauge("lsm.write_amplification", () => WriteAmplification, "{ratio}", "Bytes written to tables by flushes and compactions per byte written by the caller.");
        meter.CreateObservableGauge("lsm.read_amplification", () => ReadAmplification, "{table}", "Tables probed (after bloom filters) per point read.");
        meter.CreateObservableGauge("lsm.space_amplification", () => SpaceAmplification, "{ratio}", "Bytes of all live tables per byte of the deepest level.");
        meter.CreateObservableCounter("lsm.flushes", () => Flushes, "{flush}", "Memtables flushed to level-0 tables.");
        meter.CreateObservableCounter("lsm.flush.bytes", () => { lock (_state) return _flushBytesWritten; }, "By", "Bytes of tables written by flushes.");
        meter.CreateObservableCounter("lsm.compactions", () => Compactions, "{compaction}", "Compactions finished.");
        meter.CreateObservableCounter("lsm.compaction.bytes_read", () => { lock (_state) return _compactionBytesRead; }, "By", "Bytes of tables read by compactions.");
        meter.CreateObservableCounter("lsm.compaction.bytes_written", () => { lock (_state) return _compactionBytesWritten; }, "By", "Bytes of tables written by compactions.");
        meter.CreateObservableCounter("lsm.user.bytes_written", () => UserBytesWritten, "By", "Key and value bytes written by the caller.");
        meter.CreateObservableCounter("lsm.write_stalls", () => WriteStalls, "{stall}", "Times a writer waited for flushes or compactions to catch up.");
        meter.CreateObservableCounter("lsm.write_stall.time", () => { lock (_state) return _stallTicks / (double)Stopwatch.Frequency; }, "s", "Time writers spent stalled.");
        meter.CreateObservableCounter("lsm.block_cache.hits", () => BlockCacheHits, "{block}", "Data block reads answered by the block cache.");
        meter.CreateObservableCounter("lsm.block_cache.misses", () => BlockCacheMisses, "{block}", "Data blocks read from disk.");
        meter.CreateObservableGauge("lsm.block_cache.bytes", () => _cache.Bytes, "By", "Bytes of data blocks in the block cache.");
        meter.CreateObservableGauge("lsm.disk.bytes", () => BytesOnDisk, "By", "Bytes of the live tables on disk.");
        meter.CreateObservableGauge("lsm.tables", ObserveTables, "{table}", "Live tables per level (tag lsm.level).");
        return meter;
    }

    private IEnumerable<Measurement<int>> ObserveTables()
    {
        var counts = TablesPerLevel();
        var result = new Measurement<int>[counts.Length];
        for (var l = 0; l < counts.Length; l++) result[l] = new Measurement<int>(counts[l], new KeyValuePair<string, object?>("lsm.level", l));
        return result;
    }

    /// <summary>Memtables flushed to level-0 tables since open.</summary>
    public long Flushes
    {
        get { lock (_state) return _flushes; }
    }

    /// <summary>Data block reads answered by the block cache since open (counted without synchronization: approximate under concurrent readers).</summary>
    public long BlockCacheHits => _cache.Hits;

    /// <summary>Arrays allocated for recyclable cached blocks (reads into a caller buffer); stops growing once evicted ones are reused.</summary>
    internal long RecyclableBlockAllocations => _cache.RecyclableAllocations;

    /// <summary>Bytes the caller wrote (keys and values, or batch bytes).</summary>
    public long UserBytesWritten
    {
        get { lock (_writeLock) return _userBytesWritten; }
    }

    /// <summary>Bytes written to tables by flushes and compactions, divided by <see cref="UserBytesWritten"/>.</summary>
    public double WriteAmplification
    {
        get
        {
            var user = UserBytesWritten;
            lock (_state) return user == 0 ? 0 : (_flushBytesWritten + _compactionBytesWritten) / (double)user;
        }
    }

    /// <summary>Tables probed (after bloom filters) per point read.</summary>
    public double ReadAmplification => _gets == 0 ? 0 : _tableProbes / (double)_gets;

    /// <summary>Bytes of all live tables divided by bytes of the deepest non-empty level (1 = no stale data).</summary>
    public double SpaceAmplification
    {
        get
        {
            var v = AcquireView();
            try
            {
                long total = 0, deepest = 0;
                for (var l = 0; l < MaxLevels; l++)
                {
                    var b = v.LevelBytes(l);
                    total += b;
                    if (b > 0) deepest = b;
                }
                return deepest == 0 ? 0 : total / (double)deepest;
            }
            finally { v.Release(); }
        }
    }

    /// <summary>Bytes of the live tables on disk.</summary>
    public long BytesOnDisk
    {
        get
        {
            var v = AcquireView();
            try
            {
                long total = 0;
                for (var l = 0; l < MaxLevels; l++) total += v.LevelBytes(l);
                return total;
            }
            finally { v.Release(); }
        }
    }

    /// <summary>Table count per level (index = level).</summary>
    public int[] TablesPerLevel()
    {
        var v = AcquireView();
        try { return v.Levels.Select(l => l.Length).ToArray(); }
        finally { v.Release(); }
    }

    /// <summary>Times a writer waited for flushes or compactions to catch up.</summary>
    public long WriteStalls
    {
        get { lock (_state) return _stallCount; }
    }

    /// <summary>Compactions finished since open (merges; see <see cref="TrivialMoves"/> for the others).</summary>
    public long Compactions
    {
        get { lock (_state) return _compactions; }
    }

    /// <summary>Compactions since open that moved tables down a level without rewriting them (their inputs overlapped nothing).</summary>
    public long TrivialMoves
    {
        get { lock (_state) return _trivialMoves; }
    }

    /// <summary>Data blocks read from disk (block cache misses) since open.</summary>
    public long BlockCacheMisses => _cache.Misses;
}

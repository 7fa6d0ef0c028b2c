namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
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

    /// <summary>Compactions finished since open.</summary>
    public long Compactions
    {
        get { lock (_state) return _compactions; }
    }

    /// <summary>Data blocks read from disk (block cache misses) since open.</summary>
    public long BlockCacheMisses => _cache.Misses;
}

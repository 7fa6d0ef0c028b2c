using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>One seeded model-based run (see <see cref="LsmModelTests"/>).</summary>
internal sealed class ModelRun
{
    private readonly int _seed;
    private readonly int _steps;
    private readonly Random _rng;
    private readonly byte[][] _keys;
    private SortedDictionary<byte[], byte[]> _model = new(OrdinalBytes.Instance);
    private readonly List<(LsmSnapshot Snapshot, SortedDictionary<byte[], byte[]> Model)> _snapshots = new();
    private readonly List<(string Dir, SortedDictionary<byte[], byte[]> Model)> _checkpoints = new();
    private int _step;

    public ModelRun(int seed, int steps)
    {
        _seed = seed;
        _steps = steps;
        _rng = new Random(seed);
        // Keys of varied length sharing prefixes (exercises prefix compression and ordering of a key against its extensions).
        var pool = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<byte[]>();
        while (keys.Count < 300)
        {
            var len = _rng.Next(0, 7);
            var k = new byte[len];
            for (var i = 0; i < len; i++) k[i] = (byte)"abcz\0\xff"[_rng.Next(6)];
            if (pool.Add(Convert.ToHexString(k))) keys.Add(k);
        }
        _keys = keys.ToArray();
    }

    private string Where => $"seed {_seed}, step {_step}";

    private LsmOptions Options(string dir) => new()
    {
        Directory = dir, MemtableBytes = 4096 + _rng.Next(0, 8192), BlockBytes = 256, RestartInterval = 1 + _rng.Next(0, 8),
        BloomBitsPerKey = _rng.Next(0, 12), TargetFileBytes = 4096, Level1Bytes = 16 << 10, LevelSizeMultiplier = 2,
        Level0CompactionTrigger = 2, Level0StopWritesTrigger = 6, BlockCacheBytes = _rng.Next(0, 3) * 16384,
        AutoCompaction = _rng.Next(4) != 0,
    };

    public void Run()
    {
        using var dir = new TempDirectory("model");
        var storeDir = dir.Sub("store");
        var store = LsmStore.Open(Options(storeDir));
        try
        {
            for (_step = 0; _step < _steps; _step++)
            {
                var op = _rng.Next(100);
                if (op < 30) Put(store);
                else if (op < 38) Delete(store);
                else if (op < 41) DeleteRange(store);
                else if (op < 44) Batch(store);
                else if (op < 62) CheckGet(store, null, _model);
                else if (op < 68) CheckScan(store, null, _model);
                else if (op < 72) CheckWalk(store);
                else if (op < 77) SnapshotOp(store);
                else if (op < 80) store.Flush();
                else if (op < 82) store.CompactAll();
                else if (op < 84) store = Reopen(store, storeDir);
                else if (op < 86) TakeCheckpoint(store, dir);
                else if (op < 87) store = Restore(store, storeDir);
                else CheckGet(store, null, _model);
            }
            CheckScan(store, null, _model);
        }
        finally
        {
            DropSnapshots();
            store.Dispose();
        }
    }

    private byte[] Key() => _keys[_rng.Next(_keys.Length)];

    private byte[] Value()
    {
        var v = new byte[_rng.Next(0, 40)];
        _rng.NextBytes(v);
        return v;
    }

    private void Put(LsmStore store)
    {
        var k = Key();
        var v = Value();
        store.Put(k, v);
        _model[k] = v;
    }

    private void Delete(LsmStore store)
    {
        var k = Key();
        store.Delete(k);
        _model.Remove(k);
    }

    private (byte[] Lo, byte[] Hi) Range()
    {
        var a = Key();
        var b = Key();
        var c = a.AsSpan().SequenceCompareTo(b);
        if (c == 0) b = [.. b, 0];
        return c <= 0 ? (a, b) : (b, a);
    }

    private void DeleteRange(LsmStore store)
    {
        var (lo, hi) = Range();
        store.DeleteRange(lo, hi);
        foreach (var k in _model.Keys.Where(k => InRange(k, lo, hi)).ToList()) _model.Remove(k);
    }

    private void Batch(LsmStore store)
    {
        var batch = new WriteBatch();
        var pending = new List<Action>();
        for (var n = _rng.Next(1, 20); n > 0; n--)
        {
            var k = Key();
            if (_rng.Next(4) == 0) { batch.Delete(k); pending.Add(() => _model.Remove(k)); }
            else { var v = Value(); batch.Put(k, v); pending.Add(() => _model[k] = v); }
        }
        store.Write(batch);
        foreach (var p in pending) p();
    }

    private static bool InRange(byte[] k, byte[]? lo, byte[]? hi) =>
        (lo is null || k.AsSpan().SequenceCompareTo(lo) >= 0) && (hi is null || k.AsSpan().SequenceCompareTo(hi) < 0);

    private void CheckGet(LsmStore store, LsmSnapshot? snapshot, SortedDictionary<byte[], byte[]> model)
    {
        var k = Key();
        var found = store.TryGet(k, snapshot, out var value);
        var expected = model.TryGetValue(k, out var v);
        Assert.True(found == expected, $"{Where}: get {Convert.ToHexString(k)} found={found}, model has it={expected}");
        if (found) Assert.True(value.SequenceEqual(v), $"{Where}: get {Convert.ToHexString(k)} value {Convert.ToHexString(value)} != {Convert.ToHexString(v!)}");
    }

    private void CheckScan(LsmStore store, LsmSnapshot? snapshot, SortedDictionary<byte[], byte[]> model)
    {
        byte[]? lo = null, hi = null;
        var kind = _rng.Next(3);
        LsmIterator it;
        if (kind == 0) it = store.CreateIterator(snapshot);
        else if (kind == 1) { (lo, hi) = Range(); it = store.CreateRangeIterator(lo, hi, snapshot); }
        else
        {
            lo = Key();
            if (lo.Length > 2) lo = lo[..2];
            it = store.CreatePrefixIterator(lo, snapshot);
            hi = null;
        }
        using (it)
        {
            var expected = model.Where(p => InRange(p.Key, lo, hi) && (kind != 2 || p.Key.AsSpan().StartsWith(lo))).ToList();
            var forward = new List<(byte[], byte[])>();
            for (it.SeekToFirst(); it.Valid; it.Next()) forward.Add((it.Key.ToArray(), it.Value.ToArray()));
            Compare(expected, forward, "forward scan");
            var backward = new List<(byte[], byte[])>();
            for (it.SeekToLast(); it.Valid; it.Prev()) backward.Add((it.Key.ToArray(), it.Value.ToArray()));
            backward.Reverse();
            Compare(expected, backward, "backward scan");
        }
    }

    private void Compare(List<KeyValuePair<byte[], byte[]>> expected, List<(byte[] K, byte[] V)> actual, string what)
    {
        Assert.True(expected.Count == actual.Count,
            $"{Where}: {what} returned {actual.Count} keys, model has {expected.Count}: got [{string.Join(",", actual.Select(a => Convert.ToHexString(a.K)))}] want [{string.Join(",", expected.Select(e => Convert.ToHexString(e.Key)))}]");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].Key.AsSpan().SequenceEqual(actual[i].K), $"{Where}: {what} key #{i} {Convert.ToHexString(actual[i].K)} != {Convert.ToHexString(expected[i].Key)}");
            Assert.True(expected[i].Value.AsSpan().SequenceEqual(actual[i].V), $"{Where}: {what} value of {Convert.ToHexString(actual[i].K)}");
        }
    }

    /// <summary>Seeks, then steps forward and backward at random, comparing each position with the model.</summary>
    private void CheckWalk(LsmStore store)
    {
        var keys = _model.Keys.ToList();
        using var it = store.CreateIterator();
        var target = Key();
        int pos;
        if (_rng.Next(2) == 0)
        {
            it.Seek(target);
            pos = keys.FindIndex(k => k.AsSpan().SequenceCompareTo(target) >= 0);
            if (pos < 0) pos = keys.Count;
        }
        else
        {
            it.SeekForPrev(target);
            pos = keys.FindLastIndex(k => k.AsSpan().SequenceCompareTo(target) <= 0);
        }
        for (var n = 0; n < 12; n++)
        {
            var inModel = pos >= 0 && pos < keys.Count;
            Assert.True(it.Valid == inModel, $"{Where}: walk step {n} valid={it.Valid}, model position {pos} of {keys.Count}");
            if (!inModel) return;
            Assert.True(it.Key.SequenceEqual(keys[pos]), $"{Where}: walk step {n} key {Convert.ToHexString(it.Key)} != {Convert.ToHexString(keys[pos])}");
            if (_rng.Next(2) == 0) { it.Next(); pos++; }
            else { it.Prev(); pos--; }
        }
    }

    private void SnapshotOp(LsmStore store)
    {
        var r = _rng.Next(4);
        if (r == 0 && _snapshots.Count < 3)
            _snapshots.Add((store.GetSnapshot(), new SortedDictionary<byte[], byte[]>(_model, OrdinalBytes.Instance)));
        else if (r == 1 && _snapshots.Count > 0)
        {
            var i = _rng.Next(_snapshots.Count);
            _snapshots[i].Snapshot.Dispose();
            _snapshots.RemoveAt(i);
        }
        else if (_snapshots.Count > 0)
        {
            var (snap, model) = _snapshots[_rng.Next(_snapshots.Count)];
            CheckGet(store, snap, model);
            CheckGet(store, snap, model);
            CheckScan(store, snap, model);
        }
    }

    private void DropSnapshots()
    {
        foreach (var (s, _) in _snapshots) s.Dispose();
        _snapshots.Clear();
    }

    private LsmStore Reopen(LsmStore store, string storeDir)
    {
        DropSnapshots();
        store.Dispose();
        return LsmStore.Open(Options(storeDir));
    }

    private void TakeCheckpoint(LsmStore store, TempDirectory dir)
    {
        var cp = dir.Sub("cp" + _checkpoints.Count);
        store.Checkpoint(cp);
        _checkpoints.Add((cp, new SortedDictionary<byte[], byte[]>(_model, OrdinalBytes.Instance)));
    }

    private LsmStore Restore(LsmStore store, string storeDir)
    {
        if (_checkpoints.Count == 0) return store;
        DropSnapshots();
        store.Dispose();
        var (cp, model) = _checkpoints[_rng.Next(_checkpoints.Count)];
        LsmStore.RestoreCheckpoint(cp, storeDir);
        _model = new SortedDictionary<byte[], byte[]>(model, OrdinalBytes.Instance);
        return LsmStore.Open(Options(storeDir));
    }
}

using System.Diagnostics.Metrics;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;
using Kernel.Storage.Lsm.Wal;

namespace Kernel.Storage.Lsm;

/// <summary>
/// An embedded log-structured merge-tree key-value store over bytes. Writes go to a memtable;
/// full memtables are flushed by a background thread to immutable sorted tables (level 0), and a
/// second background thread runs a leveled compaction that merges them down, so a flush never
/// waits behind a compaction (level 0 is bounded instead: flushes wait while it holds
/// <see cref="LsmOptions.Level0StopWritesTrigger"/> tables). Reads merge the memtables and every level,
/// newest version first. The manifest (a snapshot plus a log of fsynced edits, replaced
/// atomically by a new snapshot as it grows) names the live tables: a crash reopens to the last
/// whole edit. Unflushed writes are lost on a crash unless
/// <see cref="LsmOptions.UseWal"/> is on.
/// Thread safety: any number of readers and writers; writers are serialized by a lock, readers take none.
/// </summary>
public sealed partial class LsmStore : IDisposable
{
    internal const int MaxLevels = 7;

    private readonly LsmOptions _options;
    private readonly string _dir;
    private readonly BlockCache _cache;
    private readonly Lock _writeLock = new();          // serializes writers; taken before _state
    private readonly object _state = new();            // guards view changes, manifest, snapshots; Monitor for stalls and background waits
    private readonly object _compactionGate = new();   // one compaction at a time (background or manual)
    private readonly SortedDictionary<ulong, int> _snapshots = new();   // guarded by _state
    private readonly byte[]?[] _compactCursor = new byte[]?[MaxLevels]; // compaction thread only (PickCompaction)
    private StoreView _view;                           // replaced under _state (Volatile.Write publishes); read lock-free
    private ulong _lastSequence;                       // written under _writeLock after the batch is in the memtable (Volatile.Write publishes it to readers)
    private ulong _nextFileNumber;                     // guarded by _state
    private ulong _flushedSequence;                    // guarded by _state
    private WalWriter? _wal;                           // guarded by _writeLock
    private Thread? _flusher;                          // flushes immutable memtables; started by the first one (StartBackgroundIfWorkLocked); guarded by _state
    private Thread? _compactor;                        // runs automatic compactions; started when a level first exceeds its target; guarded by _state
    private bool _backgroundAllowed;                   // false until the constructor is done (WAL recovery flushes on the opening thread); guarded by _state
    private readonly ManifestLog _manifest;            // guarded by _state
    private readonly Meter _meter;
    private volatile bool _closing;                    // written under _state; read without it by a running compaction (it gives up)
    private volatile Exception? _backgroundError;
    private volatile bool _disposed;                   // written under _writeLock; read without it by the optimistic read path

    private LsmStore(LsmOptions options)
    {
        _options = options;
        _dir = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(_dir);
        _cache = new BlockCache(options.BlockCacheBytes);
        File.Delete(Path.Combine(_dir, FileNames.ManifestTemp));
        var found = Manifest.Read(_dir, out var logState);
        var data = found ?? new ManifestData();
        _manifest = new ManifestLog(_dir, found, logState, options.ManifestRewriteBytes);
        var levels = OpenTables(data);
        _nextFileNumber = Math.Max(1, data.NextFileNumber);
        _lastSequence = _flushedSequence = data.LastSequence;
        DeleteOrphans(data);
        var tombstones = data.Tombstones.ToArray();
        var active = new Memtable(options.MemtableBytes, 0);
        _view = new StoreView(active, [], levels, tombstones);
        foreach (var level in levels)
            foreach (var t in level) t.Release();   // the view holds them now
        if (options.UseWal) RecoverWal(data.WalNumber);
        _meter = CreateMeter();
        lock (_state)
        {
            _backgroundAllowed = true;
            // No compaction at open, even with level 0 over its trigger: the first flush starts it.
            // A store opened to be read (a checkpoint's restore scan) would otherwise merge its
            // whole level 1 beside the scan, on the same cores (quick suite checkpoint, recovery:
            // restore 2-3x slower when the copy held a full level 0).
            StartBackgroundIfWorkLocked(_view, compact: false);
        }
    }

    /// <summary>
    /// Starts the background threads that have work and are not running: the flusher when a view
    /// with an immutable memtable is installed (or at open, after a WAL recovery), the compactor
    /// when a view with a level over its target is installed (not at open). A store that is opened, read and closed starts neither (quick suite
    /// <c>lsm reopen</c>: a thread start and join were about a quarter of a reopen); one that only
    /// flushes small tables never starts the compactor. Caller holds _state.
    /// </summary>
    private void StartBackgroundIfWorkLocked(StoreView view, bool compact = true)
    {
        if (!_backgroundAllowed || _closing) return;
        if (_flusher is null && view.Immutables.Length > 0)
        {
            _flusher = new Thread(FlushLoop) { IsBackground = true, Name = "lsm-flush" };
            _flusher.Start();
        }
        if (compact && _compactor is null && _options.AutoCompaction && MostUrgentLevel(view) >= 0)
        {
            _compactor = new Thread(CompactionLoop) { IsBackground = true, Name = "lsm-compaction" };
            _compactor.Start();
        }
    }

    /// <summary>Opens (or creates) the store in <see cref="LsmOptions.Directory"/>.</summary>
    /// <exception cref="LsmCorruptionException">A file is damaged; the message names it and the byte offset.</exception>
    /// <exception cref="LsmException">A file is of another format version.</exception>
    public static LsmStore Open(LsmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return new LsmStore(options);
    }

    /// <summary>The store's directory.</summary>
    public string DirectoryPath => _dir;

    /// <summary>The sequence number of the last write (what a new snapshot sees).</summary>
    public ulong LastSequence => Volatile.Read(ref _lastSequence);

    /// <summary>The last sequence number held by a table: writes up to here survive a crash (without WAL).</summary>
    public ulong DurableSequence
    {
        get { lock (_state) return _flushedSequence; }
    }

    /// <summary>Takes a snapshot: reads through it see the store as it is now.</summary>
    public LsmSnapshot GetSnapshot()
    {
        lock (_state)
        {
            var seq = Volatile.Read(ref _lastSequence);
            _snapshots[seq] = _snapshots.TryGetValue(seq, out var n) ? n + 1 : 1;
            return new LsmSnapshot(this, seq);
        }
    }

    internal void ReleaseSnapshot(ulong sequence)
    {
        lock (_state)
        {
            if (!_snapshots.TryGetValue(sequence, out var n)) return;
            if (n == 1) _snapshots.Remove(sequence);
            else _snapshots[sequence] = n - 1;
        }
    }

    /// <summary>Flushes the memtable (by default), waits for background work, and closes the files.</summary>
    public void Dispose()
    {
        lock (_writeLock)
        {
            if (_disposed) return;
            _disposed = true;
            if (_backgroundError is null && !_view.Active.IsEmpty)
            {
                lock (_state) SwitchMemtableLocked(0);
            }
        }
        Thread? flusher, compactor;
        lock (_state)
        {
            _closing = true;
            flusher = _flusher;
            compactor = _compactor;
            Monitor.PulseAll(_state);
        }
        // The flusher writes the immutable memtables first; a compaction in progress gives up
        // (its outputs are deleted, its inputs stay live) instead of delaying the close.
        compactor?.Join();
        flusher?.Join();
        _wal?.Dispose();
        lock (_state) _manifest.Dispose();
        _meter.Dispose();
        _view.Release();
    }

    private TableReader[][] OpenTables(ManifestData data)
    {
        var levels = new List<TableReader>[MaxLevels];
        for (var i = 0; i < MaxLevels; i++) levels[i] = new();
        try
        {
            foreach (var (level, props) in data.Tables)
            {
                if (level >= MaxLevels) LsmThrow.Format($"{_dir}: manifest lists table {props.FileNumber} at level {level}, beyond {MaxLevels - 1}");
                levels[level].Add(TableReader.Open(FileNames.Table(_dir, props.FileNumber), props, _cache));
            }
        }
        catch
        {
            foreach (var l in levels)
                foreach (var t in l) t.Release();
            throw;
        }
        levels[0].Sort((a, b) => b.Properties.MaxSequence.CompareTo(a.Properties.MaxSequence));
        for (var i = 1; i < MaxLevels; i++) levels[i].Sort(CompareSmallest);
        return levels.Select(l => l.ToArray()).ToArray();
    }

    private void DeleteOrphans(ManifestData data)
    {
        var live = data.Tables.Select(t => t.Table.FileNumber).ToHashSet();
        foreach (var path in Directory.EnumerateFiles(_dir))
        {
            var name = Path.GetFileName(path);
            if (FileNames.TryParse(name, FileNames.TableExtension, out var n) && !live.Contains(n)) File.Delete(path);
            else if (FileNames.TryParse(name, FileNames.WalExtension, out var w) && (!_options.UseWal || w < data.WalNumber)) File.Delete(path);
        }
    }

    internal static int CompareSmallest(TableReader a, TableReader b) =>
        a.Properties.SmallestKey.AsSpan().SequenceCompareTo(b.Properties.SmallestKey);

    /// <summary>Installs a new current view (caller holds _state) and drops the store's reference to the old one.</summary>
    private void InstallLocked(StoreView next)
    {
        var old = _view;
        Volatile.Write(ref _view, next);
        old.Release();
        StartBackgroundIfWorkLocked(next);
        Monitor.PulseAll(_state);
    }

    private StoreView AcquireView()
    {
        while (true)
        {
            var v = Volatile.Read(ref _view);
            if (v.TryAcquire()) return v;
        }
    }

    /// <summary>The tables of the current view (tests: which have loaded their index and filter).</summary>
    internal List<TableReader> LiveTablesForTests()
    {
        var v = AcquireView();
        try
        {
            return v.Levels.SelectMany(l => l).ToList();
        }
        finally
        {
            v.Release();
        }
    }

    private ulong SmallestSnapshotLocked() =>
        _snapshots.Count > 0 ? _snapshots.Keys.First() : Volatile.Read(ref _lastSequence);

    /// <summary>Tests: true once <see cref="Dispose"/> has begun to close the background threads.</summary>
    internal bool IsClosing => _closing;

    /// <summary>Tests: the failure that stopped a background thread, if any.</summary>
    internal Exception? BackgroundError => _backgroundError;

    private void ThrowIfFailed()
    {
        var e = _backgroundError;
        if (e is not null) LsmThrow.BackgroundFailed(e);
    }
}

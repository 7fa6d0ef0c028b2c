using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Iteration;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    private long _flushBytesWritten;          // guarded by _state
    private long _flushes;                    // guarded by _state
    private long _flushStalls;                // guarded by _state: times the flusher waited for level 0 to shrink

    /// <summary>
    /// Makes every write so far durable: turns the memtable into a table and waits until all
    /// immutable memtables are flushed and named by the manifest.
    /// </summary>
    public void Flush()
    {
        lock (_writeLock)
        {
            if (_disposed) LsmThrow.Disposed();
            ThrowIfFailed();
            if (!_view.Active.IsEmpty)
            {
                lock (_state)
                {
                    while (_view.Immutables.Length >= _options.MaxImmutableMemtables && _backgroundError is null)
                        Monitor.Wait(_state);
                    ThrowIfFailed();
                    SwitchMemtableLocked(0);
                }
            }
        }
        lock (_state)
        {
            while (_view.Immutables.Length > 0 && _backgroundError is null) Monitor.Wait(_state);
        }
        ThrowIfFailed();
    }

    /// <summary>
    /// The flusher: writes immutable memtables to level 0, oldest first. It never waits behind a
    /// compaction (the compactor has its own thread), only for level 0 to drop below
    /// <see cref="LsmOptions.Level0StopWritesTrigger"/> tables while automatic compaction runs, so
    /// that reads and scans (restore) merge a bounded number of tables; not when closing, so a
    /// dispose always gets its memtables written.
    /// </summary>
    private void FlushLoop()
    {
        while (true)
        {
            lock (_state)
            {
                var stalled = false;
                while (true)
                {
                    if (_backgroundError is not null) return;
                    var v = _view;
                    if (v.Immutables.Length > 0 && !Level0FullLocked(v)) break;
                    if (_closing && v.Immutables.Length == 0) return;
                    if (v.Immutables.Length > 0 && !stalled)
                    {
                        stalled = true;
                        _flushStalls++;
                    }
                    Monitor.Wait(_state);
                }
            }
            try
            {
                FlushOldestImmutable();
            }
            catch (Exception e)
            {
                RecordBackgroundError(e);
                return;
            }
        }
    }

    /// <summary>Times the flusher waited for the compactor to shrink level 0 (tests, diagnostics).</summary>
    internal long FlushStalls
    {
        get { lock (_state) return _flushStalls; }
    }

    /// <summary>True when a flush must wait for the compactor to shrink level 0 (caller holds _state).</summary>
    private bool Level0FullLocked(StoreView v) =>
        _options.AutoCompaction && !_closing && v.Level0Count >= _options.Level0StopWritesTrigger;

    /// <summary>The compactor: runs the most urgent compaction while some level is over its target; gives up when the store closes.</summary>
    /// <summary>The compaction thread's nice value (Linux): below the event path, not starved (weight ~110 against 1024).</summary>
    private const int CompactionNice = 10;

    private void CompactionLoop()
    {
        // A compaction may rewrite a whole level (hundreds of ms of CPU); beside the event path's
        // threads on a small machine it should take the idle time, not preempt them at a barrier.
        BackgroundPriority.LowerCurrentThread(CompactionNice);
        while (true)
        {
            Compaction? compaction;
            lock (_state)
            {
                while (true)
                {
                    if (_closing || _backgroundError is not null) return;
                    if ((compaction = PickCompaction(_view)) is not null) break;
                    Monitor.Wait(_state);
                }
            }
            try
            {
                RunCompaction(compaction);
            }
            catch (Exception e)
            {
                RecordBackgroundError(e);
                return;
            }
        }
    }

    private void RecordBackgroundError(Exception e)
    {
        lock (_state)
        {
            _backgroundError ??= e;
            Monitor.PulseAll(_state);
        }
    }

    /// <summary>Writes the oldest immutable memtable as a level-0 table and installs it.</summary>
    private void FlushOldestImmutable()
    {
        Memtable imm;
        ulong number;
        lock (_state)
        {
            imm = _view.Immutables[^1];
            number = _nextFileNumber++;
        }
        TableReader? table = null;
        if (imm.Count > 0)
        {
            using var it = new MemtableIterator(imm);
            table = WriteTable(number, it, out var bytes);
            lock (_state)
            {
                _flushBytesWritten += bytes;
                if (table is not null) _flushes++;
            }
        }
        lock (_state)
        {
            var cur = _view;
            var immutables = cur.Immutables[..^1];
            var levels = (TableReader[][])cur.Levels.Clone();
            if (table is not null) levels[0] = [table, .. levels[0]];
            var tombstones = imm.Tombstones.Length == 0 ? cur.Tombstones : [.. cur.Tombstones, .. imm.Tombstones];
            if (!imm.IsEmpty) _flushedSequence = Math.Max(_flushedSequence, imm.MaxSequence);
            var walNumber = immutables.Length > 0 ? immutables[^1].WalNumber : cur.Active.WalNumber;
            WriteManifestLocked(levels, tombstones, walNumber);
            InstallLocked(new StoreView(cur.Active, immutables, levels, tombstones));
            table?.Release();
            if (_options.UseWal) DeleteLogsBefore(walNumber);
        }
    }

    /// <summary>Writes every entry of <paramref name="source"/> to a new table; null when it holds none.</summary>
    private TableReader? WriteTable(ulong number, InternalIterator source, out long bytes)
    {
        var path = FileNames.Table(_dir, number);
        bytes = 0;
        using var writer = new TableWriter(path, number, _options);
        for (source.SeekToFirst(); source.Valid; source.Next()) writer.Add(source.Key, source.Value);
        if (writer.EntryCount == 0) return null;
        var props = writer.Finish();
        bytes = props.FileBytes;
        return TableReader.OpenWritten(path, props, _cache);
    }

    private void WriteManifestLocked(TableReader[][] levels, RangeTombstone[] tombstones, ulong walNumber)
    {
        _manifest.Apply(BuildManifestLocked(levels, tombstones, walNumber));
    }

    private ManifestData BuildManifestLocked(TableReader[][] levels, RangeTombstone[] tombstones, ulong walNumber)
    {
        var data = new ManifestData { NextFileNumber = _nextFileNumber, LastSequence = _flushedSequence, WalNumber = walNumber };
        for (var l = 0; l < levels.Length; l++)
            foreach (var t in levels[l]) data.Tables.Add((l, t.Properties));
        data.Tombstones.AddRange(tombstones);
        return data;
    }

    private void DeleteLogsBefore(ulong walNumber)
    {
        foreach (var path in Directory.EnumerateFiles(_dir, "*" + FileNames.WalExtension))
        {
            if (FileNames.TryParse(Path.GetFileName(path), FileNames.WalExtension, out var n) && n < walNumber)
            {
                try { File.Delete(path); } catch (IOException) { }
            }
        }
    }
}

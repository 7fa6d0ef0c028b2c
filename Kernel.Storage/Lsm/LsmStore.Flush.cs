using Kernel.Storage.Lsm.Iteration;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Tables;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    private long _flushBytesWritten;          // guarded by _state
    private long _flushes;                    // guarded by _state

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

    private void BackgroundLoop()
    {
        while (true)
        {
            Compaction? compaction = null;
            lock (_state)
            {
                while (true)
                {
                    if (_view.Immutables.Length > 0) break;
                    if (_closing) return;
                    if (_options.AutoCompaction && (compaction = PickCompaction(_view)) is not null) break;
                    Monitor.Wait(_state);
                }
            }
            try
            {
                if (compaction is null) FlushOldestImmutable();
                else RunCompaction(compaction);
            }
            catch (Exception e)
            {
                lock (_state)
                {
                    _backgroundError = e;
                    Monitor.PulseAll(_state);
                }
                return;
            }
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

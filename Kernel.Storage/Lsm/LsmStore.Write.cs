using System.Diagnostics;
using Kernel.Storage.Lsm.Format;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Versions;
using Kernel.Storage.Lsm.Wal;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    private byte[] _walScratch = new byte[256];   // guarded by _writeLock
    private long _userBytesWritten;              // guarded by _writeLock
    private long _stallCount;                    // guarded by _writeLock
    private long _stallTicks;                    // guarded by _writeLock

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => WriteOne(EntryKind.Value, key, value);

    /// <summary>Deletes <paramref name="key"/> (a no-op when absent).</summary>
    public void Delete(ReadOnlySpan<byte> key) => WriteOne(EntryKind.Delete, key, default);

    /// <summary>Deletes every key in [<paramref name="start"/>, <paramref name="end"/>) at once.</summary>
    public void DeleteRange(ReadOnlySpan<byte> start, ReadOnlySpan<byte> end)
    {
        var batch = new WriteBatch(start.Length + end.Length + 16);
        batch.DeleteRange(start, end);
        Write(batch);
    }

    /// <summary>Applies every operation of <paramref name="batch"/> atomically.</summary>
    public void Write(WriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return;
        lock (_writeLock)
        {
            MakeRoom(batch.MemtableBytes, batch.Count);
            var first = _lastSequence + 1;
            _wal?.Append(first, batch.Data);
            var last = ApplyOps(_view.Active, first, batch.Data);
            _userBytesWritten += batch.Data.Length;
            Volatile.Write(ref _lastSequence, last);
        }
    }

    private void WriteOne(EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        lock (_writeLock)
        {
            MakeRoom(Memtable.NodeBytes(key.Length, value.Length), 1);
            var seq = _lastSequence + 1;
            if (_wal is not null) AppendOneToWal(seq, kind, key, value);
            _view.Active.Add(key, seq, kind, value);
            _userBytesWritten += key.Length + value.Length;
            Volatile.Write(ref _lastSequence, seq);
        }
    }

    private void AppendOneToWal(ulong seq, EntryKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var need = 11 + key.Length + value.Length;
        if (_walScratch.Length < need) _walScratch = new byte[need * 2];
        var s = _walScratch.AsSpan();
        var pos = 0;
        s[pos++] = kind == EntryKind.Value ? (byte)1 : (byte)0;
        Varint.Write(s, ref pos, (uint)key.Length);
        key.CopyTo(s[pos..]);
        pos += key.Length;
        Varint.Write(s, ref pos, (uint)value.Length);
        value.CopyTo(s[pos..]);
        pos += value.Length;
        _wal!.Append(seq, s[..pos]);
    }

    /// <summary>Applies batch ops to <paramref name="table"/> from sequence <paramref name="first"/>; returns the last sequence used.</summary>
    private static ulong ApplyOps(Memtable table, ulong first, ReadOnlySpan<byte> ops)
    {
        var seq = first - 1;
        var pos = 0;
        while (WriteBatch.TryReadOp(ops, ref pos, out var kind, out var a, out var b))
        {
            seq++;
            if (kind == 2) table.AddTombstone(new RangeTombstone(a.ToArray(), b.ToArray(), seq));
            else table.Add(a, seq, kind == 1 ? EntryKind.Value : EntryKind.Delete, b);
        }
        return seq;
    }

    /// <summary>
    /// Makes room in the active memtable for <paramref name="bytes"/> (caller holds _writeLock):
    /// switches to a new memtable when full, and stalls while flushes or level-0 compaction lag
    /// behind (bounded memory instead of an unbounded queue of memtables).
    /// </summary>
    private void MakeRoom(int bytes, int entries)
    {
        if (_disposed) LsmThrow.Disposed();
        ThrowIfFailed();
        var active = _view.Active;
        if (active.HasRoom(bytes, entries)) return;
        MakeRoomSlow(bytes, entries);
    }

    private void MakeRoomSlow(int bytes, int entries)
    {
        lock (_state)
        {
            while (true)
            {
                ThrowIfFailed();
                var v = _view;
                if (v.Active.HasRoom(bytes, entries)) return;
                if (v.Immutables.Length >= _options.MaxImmutableMemtables || Level0FullLocked(v))
                {
                    // A store opened with a full level 0 has not started its compactor (none starts at open).
                    StartBackgroundIfWorkLocked(v);
                    _stallCount++;
                    var started = Stopwatch.GetTimestamp();
                    Monitor.Wait(_state);
                    _stallTicks += Stopwatch.GetTimestamp() - started;
                    continue;
                }
                SwitchMemtableLocked(bytes, entries);
                return;
            }
        }
    }

    /// <summary>Makes the active memtable immutable and starts a new one (caller holds _writeLock and _state).</summary>
    private void SwitchMemtableLocked(int bytes, int entries = 0)
    {
        var v = _view;
        ulong walNumber = 0;
        if (_options.UseWal)
        {
            walNumber = _nextFileNumber++;
            _wal?.Dispose();
            _wal = new WalWriter(FileNames.Wal(_dir, walNumber), _options.SyncWal);
        }
        var capacity = (int)Math.Min(int.MaxValue - 64, Math.Max(_options.MemtableBytes, Math.Max(bytes + 4096L, 32L * 2 * (entries + 64))));
        var next = new Memtable(capacity, walNumber);
        if (v.Active.IsEmpty)
        {
            InstallLocked(new StoreView(next, v.Immutables, v.Levels, v.Tombstones));
            return;
        }
        var immutables = new Memtable[v.Immutables.Length + 1];
        immutables[0] = v.Active;
        v.Immutables.CopyTo(immutables, 1);
        InstallLocked(new StoreView(next, immutables, v.Levels, v.Tombstones));
    }

    /// <summary>Replays write-ahead logs left by a crash into memtables, flushes them, and starts a new log.</summary>
    private void RecoverWal(ulong oldestWal)
    {
        var logs = Directory.EnumerateFiles(_dir, "*" + FileNames.WalExtension)
            .Select(p => (Path: p, Ok: FileNames.TryParse(Path.GetFileName(p), FileNames.WalExtension, out var n), Number: n))
            .Where(x => x.Ok && x.Number >= oldestWal)
            .OrderBy(x => x.Number)
            .ToList();
        // Logs created after the last manifest may carry numbers at or past its next file number.
        if (logs.Count > 0) _nextFileNumber = Math.Max(_nextFileNumber, logs[^1].Number + 1);
        lock (_writeLock)
        lock (_state)
        {
            foreach (var log in logs)
            {
                WalReader.Replay(log.Path, (first, ops) =>
                {
                    if (first <= _lastSequence) return;   // already in a table
                    var need = OpsMemtableBytes(ops, out var entries);
                    if (!_view.Active.HasRoom(need, entries)) SwitchMemtableLocked(need, entries);
                    _lastSequence = ApplyOps(_view.Active, first, ops);
                });
            }
            SwitchMemtableLocked(0);   // opens the new log; replayed memtables become immutable
        }
        lock (_state)
        {
            while (_view.Immutables.Length > 0) FlushOldestImmutable();
        }
    }

    private static int OpsMemtableBytes(ReadOnlySpan<byte> ops, out int entries)
    {
        var total = 0;
        entries = 0;
        var pos = 0;
        while (WriteBatch.TryReadOp(ops, ref pos, out var kind, out var a, out var b))
        {
            total += kind == 2 ? 0 : Memtable.NodeBytes(a.Length, b.Length);
            entries++;
        }
        return total;
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Storage.Lsm;

namespace Kernel.Sinks;

/// <summary>
/// An idempotent results table in the LSM store: final rows upserted by (key, window), made
/// visible only when the checkpoint covering them completes — the serving layer's source of
/// finalized answers. Point lookups and per-key scans read a consistent cut (an LSM snapshot) and
/// report the epoch it holds.
/// <code>
///  'R' | key | window start      → row         visible (committed) rows, one per (key, window)
///  'S' | epoch | key | window    → row         epoch's rows, pre-committed (durable, invisible)
///  'M' 'e'                       → i64 epoch   the newest committed epoch
///  'M' 'l'                       → i32 size    the row size the table was written with
/// </code>
/// Keys are <see cref="LsmKeyEncoding"/> (integers big-endian with the sign flipped), so a key's
/// windows and an epoch's rows are contiguous and in numeric order; values are the row's raw bytes.
/// </summary>
/// <remarks>
/// <para>Two phases (<see cref="ICheckpointSink"/>): rows are buffered in memory by the writer
/// thread; <see cref="SealEpoch"/> closes an epoch at the barrier; <see cref="PreCommitAsync"/>
/// writes the epoch's rows under <c>'S' | epoch</c> in one atomic batch through the store's
/// fsynced write-ahead log; <see cref="CommitAsync"/> copies every staged epoch up to N to
/// <c>'R'</c>, deletes them from <c>'S'</c> and records N — one atomic batch, so a reader (and a
/// crash) sees an epoch's rows all or none. Recovery commits the staged epochs whose checkpoint
/// completed and drops the rest. Upserts make a repeated commit (after a crash between the batch
/// and the coordinator's bookkeeping) harmless.</para>
/// <para>The table holds its directory exclusively (a <c>LOCK</c> file) while open: one process at a time.</para>
/// </remarks>
/// <typeparam name="TRow">The row type (unmanaged; stored as its raw bytes).</typeparam>
/// <typeparam name="TKey">The row's key.</typeparam>
/// <typeparam name="TSelector">Reads a row's key and window start.</typeparam>
public sealed class LsmResultsTable<TRow, TKey, TSelector> : ITransactionalSink<TRow>, IDisposable
    where TRow : unmanaged
    where TKey : unmanaged
    where TSelector : struct, IResultKeySelector<TRow, TKey>
{
    private const byte Visible = (byte)'R';
    private const byte Staged = (byte)'S';
    private static readonly byte[] s_epochKey = [(byte)'M', (byte)'e'];
    private static readonly byte[] s_layoutKey = [(byte)'M', (byte)'l'];
    private static readonly int s_keyBytes = LsmKeyEncoding.Size<TKey>();

    private readonly LsmStore _store;
    private readonly FileStream _lock;
    private readonly TSelector _selector;

    // Writer thread only: the open epoch's rows.
    private List<TRow> _open = [];

    // Sealed epochs awaiting pre-commit, and emptied lists for reuse. Guarded by _sealedLock, held
    // only for the dictionary (the writer takes it at each barrier and must not wait behind I/O).
    private readonly Lock _sealedLock = new();
    private readonly SortedDictionary<long, List<TRow>> _sealed = [];
    private readonly Stack<List<TRow>> _spare = new();

    // Serializes pre-commit, commit, abort and recovery (the coordinator's thread).
    private readonly Lock _commitLock = new();

    /// <summary>Opens (or creates) the table in <paramref name="directory"/>.</summary>
    /// <param name="directory">The table's own directory (an LSM store).</param>
    /// <param name="name">The sink's name in manifests.</param>
    /// <param name="selector">Reads a row's key and window.</param>
    /// <exception cref="IOException">Another process holds the table open.</exception>
    /// <exception cref="InvalidDataException">The table was written with rows of another size.</exception>
    public LsmResultsTable(string directory, string name = "results", TSelector selector = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Directory.CreateDirectory(directory);
        Name = name;
        _selector = selector;
        DirectoryPath = Path.GetFullPath(directory);
        _lock = TakeLock(DirectoryPath);
        try
        {
            _store = LsmStore.Open(new LsmOptions { Directory = DirectoryPath, UseWal = true, SyncWal = true, MemtableBytes = 4 << 20 });
            CheckLayout();
        }
        catch
        {
            _store?.Dispose();
            _lock.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The table's directory.</summary>
    public string DirectoryPath { get; }

    /// <summary>The newest epoch (checkpoint id) whose rows are visible; 0 before the first commit.</summary>
    public long CommittedEpoch => ReadEpoch(null);

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in TRow row) => _open.Add(row);

    /// <inheritdoc />
    public void SealEpoch(long epoch)
    {
        lock (_sealedLock)
        {
            if (!_sealed.TryAdd(epoch, _open))
                throw new InvalidOperationException($"sink '{Name}': epoch {epoch} is already sealed");
            _open = _spare.Count > 0 ? _spare.Pop() : [];
        }
    }

    /// <inheritdoc />
    public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken)
    {
        List<TRow>? rows;
        lock (_sealedLock)
        {
            if (!_sealed.Remove(epoch, out rows))
            {
                // Not sealed at a barrier: the epoch is everything written so far (no write runs now).
                rows = _open;
                _open = _spare.Count > 0 ? _spare.Pop() : [];
            }
        }
        try
        {
            lock (_commitLock)
            {
                if (rows.Count == 0) return ValueTask.CompletedTask;
                var batch = new WriteBatch(rows.Count * (s_keyBytes + 24 + Unsafe.SizeOf<TRow>()));
                Span<byte> key = stackalloc byte[1 + 8 + s_keyBytes + 8];
                foreach (var row in rows)
                    batch.Put(StagedKey(key, epoch, row), MemoryMarshal.AsBytes(new ReadOnlySpan<TRow>(in row)));
                _store.Write(batch);   // one batch through the fsynced WAL: durable, all or nothing
            }
        }
        finally
        {
            rows.Clear();
            lock (_sealedLock) _spare.Push(rows);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_commitLock) CommitStagedUpTo(epoch, _ => true);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_sealedLock)
        {
            if (_sealed.Remove(epoch, out var rows))
            {
                rows.Clear();
                _spare.Push(rows);
            }
        }
        lock (_commitLock) DeleteStaged(epoch, epoch + 1);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isEpochCommitted);
        lock (_sealedLock)
        {
            _sealed.Clear();
            _open.Clear();
        }
        lock (_commitLock) CommitStagedUpTo(long.MaxValue, isEpochCommitted);
        return ValueTask.CompletedTask;
    }

    /// <summary>Reads the committed row of (<paramref name="key"/>, <paramref name="windowStartMs"/>).</summary>
    /// <param name="key">The key.</param>
    /// <param name="windowStartMs">The window start.</param>
    /// <param name="row">The row, when found.</param>
    /// <param name="epoch">The committed epoch the answer is as of.</param>
    public bool TryGet(in TKey key, long windowStartMs, out TRow row, out long epoch)
    {
        using var snapshot = _store.GetSnapshot();
        epoch = ReadEpoch(snapshot);
        Span<byte> k = stackalloc byte[1 + s_keyBytes + 8];
        k[0] = Visible;
        LsmKeyEncoding.Write(key, k[1..]);
        LsmKeyEncoding.Write(windowStartMs, k[(1 + s_keyBytes)..]);
        if (_store.TryGet(k, snapshot, out var value))
        {
            row = ReadRow(value);
            return true;
        }
        row = default;
        return false;
    }

    /// <summary>Adds every committed row of <paramref name="key"/> to <paramref name="into"/>, in window order; returns the epoch the answer is as of.</summary>
    public long CopyKey(in TKey key, List<TRow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        Span<byte> prefix = stackalloc byte[1 + s_keyBytes];
        prefix[0] = Visible;
        LsmKeyEncoding.Write(key, prefix[1..]);
        return CopyPrefix(prefix, into);
    }

    /// <summary>Adds every committed row to <paramref name="into"/>, in (key, window) order; returns the epoch the answer is as of.</summary>
    public long CopyAll(List<TRow> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        return CopyPrefix([Visible], into);
    }

    /// <summary>Closes the store (flushing it) and releases the directory.</summary>
    public void Dispose()
    {
        _store.Dispose();
        _lock.Dispose();
    }

    private long CopyPrefix(ReadOnlySpan<byte> prefix, List<TRow> into)
    {
        using var snapshot = _store.GetSnapshot();
        var epoch = ReadEpoch(snapshot);
        using var it = _store.CreatePrefixIterator(prefix, snapshot);
        for (it.SeekToFirst(); it.Valid; it.Next()) into.Add(ReadRow(it.Value));
        return epoch;
    }

    // Caller holds _commitLock. Commits, in one atomic batch, every staged epoch up to `upTo` that
    // `commit` accepts and that is newer than the committed epoch, in epoch order (a later epoch's
    // row for the same (key, window) wins); every other staged epoch up to `upTo` is dropped.
    private void CommitStagedUpTo(long upTo, Func<long, bool> commit)
    {
        var committed = ReadEpoch(null);
        var newest = upTo == long.MaxValue ? committed : Math.Max(committed, upTo);
        var batch = new WriteBatch();
        Span<byte> visible = stackalloc byte[1 + s_keyBytes + 8];
        visible[0] = Visible;
        long decided = 0;
        var accepted = false;
        using (var it = _store.CreatePrefixIterator([Staged]))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var epoch = LsmKeyEncoding.Read<long>(it.Key[1..]);
                if (epoch > upTo) break;
                if (epoch != decided)
                {
                    // Asked once per epoch, in order.
                    decided = epoch;
                    accepted = epoch > committed && commit(epoch);
                    if (accepted) newest = Math.Max(newest, epoch);
                }
                if (!accepted) continue;
                it.Key[9..].CopyTo(visible[1..]);
                batch.Put(visible, it.Value);
            }
        }
        // Every staged epoch up to upTo is now either in the batch or dropped: none stays staged.
        Span<byte> to = stackalloc byte[9];
        if (upTo == long.MaxValue)
        {
            to[0] = Staged + 1;
            batch.DeleteRange([Staged], to[..1]);
        }
        else
        {
            StagedEpochBound(to, upTo + 1);
            batch.DeleteRange([Staged], to);
        }
        if (newest != committed)
        {
            Span<byte> epochValue = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(epochValue, newest);
            batch.Put(s_epochKey, epochValue);
        }
        _store.Write(batch);
    }

    // Caller holds _commitLock.
    private void DeleteStaged(long fromEpoch, long toEpoch)
    {
        Span<byte> from = stackalloc byte[9];
        Span<byte> to = stackalloc byte[9];
        StagedEpochBound(from, fromEpoch);
        StagedEpochBound(to, toEpoch);
        _store.DeleteRange(from, to);
    }

    private ReadOnlySpan<byte> StagedKey(Span<byte> buffer, long epoch, in TRow row)
    {
        buffer[0] = Staged;
        LsmKeyEncoding.Write(epoch, buffer[1..]);
        LsmKeyEncoding.Write(_selector.KeyOf(row), buffer[9..]);
        LsmKeyEncoding.Write(_selector.WindowStartOf(row), buffer[(9 + s_keyBytes)..]);
        return buffer[..(9 + s_keyBytes + 8)];
    }

    private static void StagedEpochBound(Span<byte> buffer, long epoch)
    {
        buffer[0] = Staged;
        LsmKeyEncoding.Write(epoch, buffer[1..]);
    }

    private long ReadEpoch(LsmSnapshot? snapshot) =>
        _store.TryGet(s_epochKey, snapshot, out var v) && v.Length == 8 ? BinaryPrimitives.ReadInt64LittleEndian(v) : 0;

    private TRow ReadRow(ReadOnlySpan<byte> value)
    {
        if (value.Length != Unsafe.SizeOf<TRow>())
            throw new InvalidDataException($"results table {DirectoryPath}: a row has {value.Length} bytes, a {typeof(TRow).Name} has {Unsafe.SizeOf<TRow>()}");
        return MemoryMarshal.Read<TRow>(value);
    }

    private void CheckLayout()
    {
        Span<byte> size = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(size, Unsafe.SizeOf<TRow>());
        if (_store.TryGet(s_layoutKey, null, out var stored))
        {
            if (!stored.SequenceEqual(size))
                throw new InvalidDataException(
                    $"results table {DirectoryPath} holds rows of {(stored.Length == 4 ? BinaryPrimitives.ReadInt32LittleEndian(stored) : -1)} bytes, a {typeof(TRow).Name} has {Unsafe.SizeOf<TRow>()}");
            return;
        }
        _store.Put(s_layoutKey, size);
    }

    private static FileStream TakeLock(string directory)
    {
        var path = Path.Combine(directory, "LOCK");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"results table {directory} is open in another process (it holds {path})", e);
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Reads one immutable table file. Opening reads and verifies only the footer (magic, format
/// version, CRC); the index and the bloom filter are read and verified on the table's first use
/// (a point read or an iterator) and then stay in memory, so a reopen costs a footer per table
/// (quick suite <c>lsm reopen</c>). A damaged index or filter is therefore reported by that first
/// read, as an <see cref="LsmCorruptionException"/> naming the file and the block's offset, as a
/// damaged data block is; the read fails again the same way until the file is repaired.
/// Data blocks go through the shared <see cref="BlockCache"/> and are verified (CRC-32C) before
/// they are cached or used.
/// <code>
/// +--------------------+
/// | data block 0       |  block format: see BlockBuilder
/// | CRC-32C u32        |  over the block's bytes
/// | ...                |
/// | data block n-1     |
/// | CRC-32C u32        |
/// | filter block       |  see BloomFilter (empty when filters are off)
/// | CRC-32C u32        |
/// | index block        |  block format; key = last internal key of data block i,
/// | CRC-32C u32        |                 value = offset u64 | size u32
/// | footer (48 bytes)  |  see TableFooter: magic, format version, CRC
/// +--------------------+
/// </code>
/// Lifetime: counted references (one per store view that lists the table). When the count
/// drops to zero the handle closes and, if compaction made the table obsolete, the file is deleted.
/// </summary>
internal sealed class TableReader
{
    [ThreadStatic] private static BlockIterator? t_cursor;
    [ThreadStatic] private static byte[]? t_scratch;      // a block read from disk, before it is laid out for the cache

    private readonly SafeFileHandle _handle;
    private readonly BlockCache _cache;
    private readonly TableFooter _footer;
    private readonly long _dataEnd;                // where the data blocks end (the filter block starts)
    private readonly int _filterLength;
    private readonly Lock _loadLock = new();
    // Set once by LoadIndexAndFilter (under _loadLock, before _loaded is published); read lock-free after _loaded.
    private volatile bool _loaded;
    private byte[] _lastKeys = [];                 // each block's last internal key, back to back (one array: a load allocates per table, not per block)
    private int[] _lastKeyStarts = [0];            // block i's key is _lastKeys[_lastKeyStarts[i].._lastKeyStarts[i + 1]]
    private ulong[] _lastKeyPrefixes = [];         // first 8 bytes of each block's last user key, big-endian: most index compares stay in this array
    private byte[]?[] _blocks = [];                // cached blocks (layout: CachedBlock); a slot is set by CompareExchange and cleared by the cache's eviction
    private long[] _offsets = [];
    private int[] _sizes = [];
    private byte[] _filter = [];                   // as read, with its checksum after _filterLength bytes
    private int _references = 1;   // Interlocked
    private volatile bool _obsolete;

    private TableReader(string path, TableProperties properties, SafeFileHandle handle, BlockCache cache, TableFooter footer)
    {
        Path = path;
        Properties = properties;
        _handle = handle;
        _cache = cache;
        _footer = footer;
        _filterLength = footer.FilterSize;
        _dataEnd = footer.FilterOffset;
    }

    public string Path { get; }
    public TableProperties Properties { get; }
    public ulong FileNumber => Properties.FileNumber;

    /// <summary>Data blocks in the table (loads the index on first use).</summary>
    public int BlockCount
    {
        get
        {
            EnsureLoaded();
            return _offsets.Length;
        }
    }

    /// <summary>True once the index and filter are in memory (tests).</summary>
    internal bool IsLoaded => _loaded;

    /// <summary>Opens the file and verifies its footer (magic, format version, CRC); the index and filter load on first use.</summary>
    public static TableReader Open(string path, TableProperties properties, BlockCache cache)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            var size = RandomAccess.GetLength(handle);
            if (size < TableFooter.Bytes) LsmThrow.Corruption(path, 0, $"table of {size} bytes is shorter than its footer");
            Span<byte> footerBytes = stackalloc byte[TableFooter.Bytes];
            RandomAccess.Read(handle, footerBytes, size - TableFooter.Bytes);
            var footer = TableFooter.Read(footerBytes, path, size - TableFooter.Bytes, size);
            return new TableReader(path, properties, handle, cache, footer);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a table this store has just written (a flush or compaction output, on the background
    /// thread) and loads its index and filter at once, while the file is in the page cache: the
    /// first reads of a new table then do not pay for it. Tables listed by the manifest at open
    /// load lazily (<see cref="Open"/>).
    /// </summary>
    public static TableReader OpenWritten(string path, TableProperties properties, BlockCache cache)
    {
        var table = Open(path, properties, cache);
        try
        {
            table.EnsureLoaded();
            return table;
        }
        catch
        {
            table.Release();
            throw;
        }
    }

    /// <summary>Reads and verifies the index and the filter if this is the table's first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnsureLoaded()
    {
        if (!_loaded) LoadIndexAndFilter();
    }

    /// <summary>
    /// The first use of the table: reads and verifies the filter and the index, then publishes
    /// them. A damaged block throws <see cref="LsmCorruptionException"/> (file, block offset) and
    /// publishes nothing, so every later use reports it again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LoadIndexAndFilter()
    {
        lock (_loadLock)
        {
            if (_loaded) return;
            var footer = _footer;
            var filter = ReadVerified(_handle, Path, footer.FilterOffset, footer.FilterSize, "filter block");
            var index = ReadVerified(_handle, Path, footer.IndexOffset, footer.IndexSize, "index block");
            var ((keys, starts), offsets, sizes) = DecodeIndex(index, Path, footer);
            var prefixes = new ulong[offsets.Length];
            for (var i = 0; i < offsets.Length; i++)
                prefixes[i] = CachedBlock.Prefix(InternalKey.UserKey(keys.AsSpan(starts[i], starts[i + 1] - starts[i])));
            _lastKeys = keys;
            _lastKeyStarts = starts;
            _lastKeyPrefixes = prefixes;
            _offsets = offsets;
            _sizes = sizes;
            _filter = filter;
            _blocks = new byte[]?[offsets.Length];
            _loaded = true;   // volatile: publishes the fields above
        }
    }

    /// <summary>The filter's answer; only after <see cref="Prepare"/> (which loads it).</summary>
    public bool MayContain(ulong hash) => BloomFilter.MayContain(_filter, _filterLength, hash);

    private ReadOnlySpan<byte> LastKey(int block) => _lastKeys.AsSpan(_lastKeyStarts[block], _lastKeyStarts[block + 1] - _lastKeyStarts[block]);

    /// <summary>
    /// The first step of a point read: finds the data block that may hold the key and requests
    /// the filter's line and the cached block's first lines at once, so that their misses
    /// overlap (see <see cref="Prefetch"/>). Then <see cref="MayContain"/>, then <see cref="TryGet"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Prepare(ReadOnlySpan<byte> userKey, ulong snapshot, ulong hash)
    {
        if (!_loaded) LoadIndexAndFilter();
        BloomFilter.Prefetch(_filter, _filterLength, hash);
        var b = FindBlock(userKey, InternalKey.Trailer(snapshot, EntryKind.Value));
        if (b < _blocks.Length)
        {
            var block = Volatile.Read(ref _blocks[b]);
            if (block is not null) Prefetch.Lines(block, 0, 6);   // header, restart prefixes and offsets of a typical 4 KiB block
        }
        return b;
    }

    /// <summary>
    /// Finds the newest version of a user key at or below the snapshot in block <paramref name="b"/>
    /// (from <see cref="Prepare"/>); the value view points
    /// into a cached block. With <paramref name="copying"/> the caller copies the value out
    /// before it uses it: the block may then be a recyclable one (<see cref="CachedBlock"/>),
    /// returned in <paramref name="recyclable"/> with its generation, and the caller checks
    /// <see cref="CachedBlock.Unchanged"/> after the copy. Without it the view is stable.
    /// A "not found" answer is already checked.
    /// </summary>
    public bool TryGet(int b, ReadOnlySpan<byte> userKey, ulong snapshot, bool copying, out EntryKind kind, out ulong sequence,
        out ReadOnlySpan<byte> value, out byte[]? recyclable, out int generation)
    {
        var trailer = InternalKey.Trailer(snapshot, EntryKind.Value);
        recyclable = null;
        generation = 0;
        if (b < _blocks.Length)
        {
            var block = Volatile.Read(ref _blocks[b]);
            var loadedAt = -1;   // the generation of an array this read loaded itself, -1 for one from the slot
            if (block is null) block = LoadBlockSlow(b, copying ? CachedBlock.Recyclable : CachedBlock.Stable, out loadedAt);
            else NoteHit(block);
            if (CachedBlock.IsRecyclable(block))
            {
                if (copying) return TryGetRecyclable(b, block, loadedAt, userKey, trailer, out kind, out sequence, out value, out recyclable, out generation);
                block = Promote(b, block);
            }
            if (SeekIn(block, userKey, trailer, out kind, out sequence, out value)) return true;
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
    }

    /// <summary>The point read in a block that may be refilled meanwhile: torn reads are detected by the generation and read again.</summary>
    /// <remarks>
    /// An array read from the slot may have been evicted and refilled with another block (of
    /// any table) before its generation was read: so after reading the generation, the slot
    /// must still hold the array. An array this read loaded itself holds block <paramref name="b"/>
    /// at the generation it was published with (<paramref name="loadedAt"/>), which must not be
    /// read again: the cache may have evicted and refilled it already.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryGetRecyclable(int b, byte[] block, int loadedAt, ReadOnlySpan<byte> userKey, ulong trailer, out EntryKind kind, out ulong sequence,
        out ReadOnlySpan<byte> value, out byte[]? recyclable, out int generation)
    {
        while (true)
        {
            var g = loadedAt >= 0 ? loadedAt : CachedBlock.Generation(block);
            if ((g & 1) == 0 && (loadedAt >= 0 || ReferenceEquals(Volatile.Read(ref _blocks[b]), block)))
            {
                bool found;
                try
                {
                    found = SeekIn(block, userKey, trailer, out kind, out sequence, out value);
                }
                catch (Exception) when (!CachedBlock.Unchanged(block, g))
                {
                    found = false;   // a torn read of a block being refilled: read again below
                    kind = default;
                    sequence = 0;
                    value = default;
                }
                if (found)
                {
                    recyclable = block;
                    generation = g;
                    return true;
                }
                if (CachedBlock.Unchanged(block, g))
                {
                    recyclable = null;
                    generation = 0;
                    return false;
                }
            }
            // Refilled for another block since the slot was read: the slot no longer holds it.
            var inSlot = Volatile.Read(ref _blocks[b]);
            loadedAt = -1;
            block = inSlot ?? LoadBlockSlow(b, CachedBlock.Recyclable, out loadedAt);
            if (!CachedBlock.IsRecyclable(block))
            {
                recyclable = null;
                generation = 0;
                return SeekIn(block, userKey, trailer, out kind, out sequence, out value);
            }
        }
    }

    private bool SeekIn(byte[] block, ReadOnlySpan<byte> userKey, ulong trailer, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        var cursor = t_cursor ??= new BlockIterator();
        cursor.Reset(block, Path);
        cursor.Seek(userKey, trailer);
        if (cursor.Valid && InternalKey.UserKey(cursor.Key).SequenceEqual(userKey))
        {
            var t = InternalKey.TrailerOf(cursor.Key);
            kind = (EntryKind)(byte)t;
            sequence = t >> 8;
            value = cursor.Value;
            return true;
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void NoteHit(byte[] block)
    {
        if (!CachedBlock.IsReferenced(block)) CachedBlock.SetReferenced(block, true);
        _cache.NoteHit();
    }

    /// <summary>Index of the first block whose last key is at or after the probe (BlockCount when none).</summary>
    public int FindBlock(ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var prefix = CachedBlock.Prefix(userKey);
        var prefixes = _lastKeyPrefixes;
        int lo = 0, hi = prefixes.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var p = prefixes[mid];
            if (p < prefix || (p == prefix && InternalKey.Compare(LastKey(mid), userKey, trailer) < 0)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Points <paramref name="cursor"/> at data block <paramref name="index"/> (from the cache or disk); the block is a stable one.</summary>
    public void LoadBlock(int index, BlockIterator cursor, ReadAhead? readAhead = null)
    {
        var block = Volatile.Read(ref _blocks[index]);
        if (block is null) block = LoadBlockSlow(index, CachedBlock.Stable, out _, readAhead);
        else
        {
            NoteHit(block);
            if (CachedBlock.IsRecyclable(block)) block = Promote(index, block);
        }
        cursor.Reset(block, Path);
    }

    /// <summary>Reads data block <paramref name="index"/> into <paramref name="buffer"/> (grown when short), bypassing the cache (compaction input).</summary>
    public void ReadBlockUncached(int index, ref byte[] buffer, BlockIterator cursor, ReadAhead? readAhead = null)
    {
        var size = _sizes[index];
        if (buffer.Length < size + 4) buffer = new byte[Math.Max(size + 4, 2 * buffer.Length)];
        ReadBlock(index, buffer, readAhead);
        cursor.Reset(buffer, size, Path, _offsets[index]);
    }

    /// <summary>Reads, verifies and caches a data block. A recyclable block reuses an evicted array: no allocation once the cache is full.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] LoadBlockSlow(int index, byte kind, out int generation, ReadAhead? readAhead = null)
    {
        var size = _sizes[index];
        var offset = _offsets[index];
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < size + 4) t_scratch = scratch = new byte[Math.Max(size + 4, 16 << 10)];
        ReadBlock(index, scratch, readAhead);
        var cursor = t_cursor ??= new BlockIterator();
        cursor.Reset(scratch, size, Path, offset);
        var restarts = cursor.RestartCount;
        var bytes = CachedBlock.Size(restarts, size);
        var block = kind == CachedBlock.Recyclable ? _cache.Rent(bytes) : new byte[bytes];
        CachedBlock.WriteHeader(block, kind, restarts, size, offset);
        cursor.WriteRestartPrefixes(block.AsSpan(CachedBlock.HeaderBytes, 8 * restarts));
        cursor.CopyRestartOffsets(block.AsSpan(CachedBlock.OffsetsStart(restarts), 4 * restarts));
        scratch.AsSpan(0, size).CopyTo(block.AsSpan(CachedBlock.HeaderBytes + 12 * restarts));
        CachedBlock.EndRefill(block);
        generation = CachedBlock.Generation(block);   // read while no one else can have the array
        _cache.NoteMiss();
        if (block.Length <= _cache.Capacity && Interlocked.CompareExchange(ref _blocks[index], block, null) is null)
            _cache.Added(this, index, block.Length);
        else if (kind == CachedBlock.Recyclable) _cache.Return(block);   // readers of it check its generation
        return block;
    }

    /// <summary>
    /// A stable copy of a recyclable block, put in its slot: a view or an iterator may keep
    /// pointing into it. Allocates once per block, on the first such read of it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] Promote(int index, byte[] block)
    {
        while (true)
        {
            // As in TryGetRecyclable: once the generation is read, the slot must still hold the array.
            var g = CachedBlock.Generation(block);
            if ((g & 1) == 0 && ReferenceEquals(Volatile.Read(ref _blocks[index]), block))
            {
                var copy = GC.AllocateUninitializedArray<byte>(block.Length);
                block.AsSpan().CopyTo(copy);
                if (CachedBlock.Unchanged(block, g))
                {
                    CachedBlock.MarkStable(copy);
                    Interlocked.CompareExchange(ref _blocks[index], copy, block);   // lost race: the copy is still right
                    return copy;
                }
            }
            var now = Volatile.Read(ref _blocks[index]);
            if (now is null) return LoadBlockSlow(index, CachedBlock.Stable, out _);
            if (!CachedBlock.IsRecyclable(now)) return now;
            block = now;
        }
    }

    internal bool IsReferenced(int index)
    {
        var block = Volatile.Read(ref _blocks[index]);
        return block is not null && CachedBlock.IsReferenced(block);
    }

    internal void ClearReferenced(int index)
    {
        var block = Volatile.Read(ref _blocks[index]);
        if (block is not null) CachedBlock.SetReferenced(block, false);
    }

    /// <summary>Drops a cached block (the cache's lock is held); returns its size, 0 when it was not cached. A recyclable one goes back to the cache's free arrays.</summary>
    internal int Evict(int index)
    {
        var block = Interlocked.Exchange(ref _blocks[index], null);
        if (block is null) return 0;
        if (CachedBlock.IsRecyclable(block)) _cache.ReturnLocked(block);
        return block.Length;
    }

    /// <summary>Drops every cached block (the cache's lock is held); returns their total size.</summary>
    internal long EvictAll()
    {
        long n = 0;
        for (var i = 0; i < _blocks.Length; i++) n += Evict(i);
        return n;
    }

    public TableIterator NewIterator(bool fillCache = true)
    {
        EnsureLoaded();
        return new(this, fillCache);
    }

    public void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Marks the file for deletion once the last reference goes.</summary>
    public void MarkObsolete() => _obsolete = true;

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        _cache.Close(this);
        _handle.Dispose();
        if (_obsolete)
        {
            try { File.Delete(Path); } catch (IOException) { }
        }
    }

    private static byte[] ReadVerified(SafeFileHandle handle, string path, long offset, int size, string what)
    {
        var buffer = GC.AllocateUninitializedArray<byte>(size + 4);
        ReadVerified(handle, path, offset, size, what, buffer);
        return buffer;
    }

    /// <summary>Reads data block <paramref name="index"/> and its CRC into the start of <paramref name="buffer"/> (through the read-ahead when there is one) and verifies them.</summary>
    private void ReadBlock(int index, byte[] buffer, ReadAhead? readAhead)
    {
        var size = _sizes[index];
        var offset = _offsets[index];
        if (readAhead is not null && readAhead.TryRead(_handle, offset, _dataEnd, buffer.AsSpan(0, size + 4)))
            Verify(buffer, Path, offset, size, "data block");
        else ReadVerified(_handle, Path, offset, size, "data block", buffer);
    }

    private static void Verify(byte[] buffer, string path, long offset, int size, string what)
    {
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(size));
        if (Crc32C.Compute(buffer.AsSpan(0, size)) != expected) LsmThrow.Corruption(path, offset, what + " checksum mismatch");
    }

    /// <summary>Reads <paramref name="size"/> bytes and their CRC into the start of <paramref name="buffer"/> and verifies them.</summary>
    private static void ReadVerified(SafeFileHandle handle, string path, long offset, int size, string what, byte[] buffer)
    {
        var span = buffer.AsSpan(0, size + 4);
        var read = RandomAccess.Read(handle, span, offset);
        if (read != span.Length) LsmThrow.Corruption(path, offset, $"{what} truncated ({read} of {span.Length} bytes)");
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(span[size..]);
        if (Crc32C.Compute(span[..size]) != expected) LsmThrow.Corruption(path, offset, what + " checksum mismatch");
    }

    /// <summary>Decodes the index in two passes (count, then fill) so that each array is allocated once, at its size: a reopen reads every table's index.</summary>
    private static ((byte[], int[]), long[], int[]) DecodeIndex(byte[] index, string path, TableFooter footer)
    {
        var it = new BlockIterator();
        it.Reset(index, footer.IndexSize, path, footer.IndexOffset);
        int count = 0, keyBytes = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            count++;
            keyBytes += it.Key.Length;
        }
        var keys = GC.AllocateUninitializedArray<byte>(keyBytes);
        var starts = new int[count + 1];
        var offsets = new long[count];
        var sizes = new int[count];
        var i = 0;
        for (it.SeekToFirst(); it.Valid; it.Next(), i++)
        {
            var v = it.Value;
            if (v.Length != 12) LsmThrow.Corruption(path, footer.IndexOffset, "index entry of bad length");
            var off = BinaryPrimitives.ReadInt64LittleEndian(v);
            var sz = BinaryPrimitives.ReadInt32LittleEndian(v[8..]);
            if (off < 0 || sz < 4 || off + sz + 4 > footer.FilterOffset)
                LsmThrow.Corruption(path, footer.IndexOffset, $"index entry points outside the data area (offset {off}, size {sz})");
            it.Key.CopyTo(keys.AsSpan(starts[i]));
            starts[i + 1] = starts[i] + it.Key.Length;
            offsets[i] = off;
            sizes[i] = sz;
        }
        return ((keys, starts), offsets, sizes);
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Reads one immutable table file. Opening reads and verifies only the footer (magic, format
/// version, CRC). The index and the bloom filter are partitioned (format version 2): the first
/// use of the table (a point read or an iterator) reads the small top-level index, and each
/// index partition (128 data blocks) and filter partition (4 KiB) is read and verified the first
/// time a read needs it, then stays in memory. A reopen followed by one read therefore costs a
/// footer per table, one top-level index, one index partition and one filter partition (quick
/// suite <c>lsm reopen</c>; a whole index and filter were 1.25 MB per reopen at 1M keys). A
/// damaged partition is reported by the first read that needs it, as an
/// <see cref="LsmCorruptionException"/> naming the file and the partition's offset, as a damaged
/// data block is; nothing of it is kept, so such reads fail again the same way, and reads that
/// need other partitions go on. Once every partition is in memory (at once for a table the store
/// has just written), they are joined into one index and one filter array, so that point reads
/// search and probe single arrays (see <c>_whole</c>). Version 1 tables (one index block, one
/// filter block) are read whole on first use and held the same way. Data blocks go through the shared
/// <see cref="BlockCache"/> and are verified (CRC-32C) before they are cached or used.
/// <code>
/// +--------------------+
/// | data block 0       |  block format: see BlockBuilder
/// | CRC-32C u32        |  over the block's bytes
/// | ...                |
/// | data block n-1     |
/// | CRC-32C u32        |
/// | filter partition 0 |  4 KiB of filter lines (see BloomFilter), the last one shorter; none when filters are off
/// | CRC-32C u32        |
/// | ...                |
/// | index partition 0  |  block format; key = last internal key of data block i (128 blocks per partition),
/// | CRC-32C u32        |                 value = offset u64 | size u32
/// | ...                |
/// | top-level index    |  block format; key = last internal key of partition j, value = its offset u64 | size u32
/// | CRC-32C u32        |
/// | footer (48 bytes)  |  see TableFooter: filter lines and probes, data blocks, magic, format version, CRC
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
    private readonly Lock _loadLock = new();
    // Set once by LoadTop (under _loadLock, before _loaded is published); read lock-free after _loaded.
    private volatile bool _loaded;
    private int _blockCount;
    private IndexPart _top = IndexPart.Empty;      // one entry per index partition: its last key, offset and size
    private IndexPart?[] _parts = [];              // index partitions read so far (set by CompareExchange); partition p holds blocks [128p, 128p + 128)
    private byte[]?[] _filterParts = [];           // filter partitions read so far (set by CompareExchange), 4 KiB of lines each, CRC not kept
    private int _filterLines;                      // 0: no filter (every key may be present)
    private int _partsLoaded, _filterPartsLoaded;  // Interlocked: partitions published, to know when the table is whole
    // Once every partition is in memory: the index and the filter as single arrays, and the
    // partitions dropped. A point read then searches one array and probes one array, as a table
    // without partitions would (quick suite lsm get-hit/get-miss: the partition step cost up to
    // a tenth of a read on tables the store wrote itself, which load every partition at once).
    private volatile Whole? _whole;
    private int _filterProbes;
    private byte[]?[] _blocks = [];                // cached blocks (layout: CachedBlock); a slot is set by CompareExchange and cleared by the cache's eviction
    private int _references = 1;   // Interlocked
    private volatile bool _obsolete;

    private TableReader(string path, TableProperties properties, SafeFileHandle handle, BlockCache cache, TableFooter footer)
    {
        Path = path;
        Properties = properties;
        _handle = handle;
        _cache = cache;
        _footer = footer;
        _dataEnd = footer.FilterOffset;
    }

    public string Path { get; }
    public TableProperties Properties { get; }
    public ulong FileNumber => Properties.FileNumber;

    /// <summary>Data blocks in the table (loads the top-level index on first use).</summary>
    public int BlockCount
    {
        get
        {
            EnsureLoaded();
            return _blockCount;
        }
    }

    /// <summary>True once the top-level index is in memory (tests).</summary>
    internal bool IsLoaded => _loaded;

    /// <summary>Index and filter partitions in memory (tests: a read loads only what it needs); all of them once the table is whole.</summary>
    internal (int Index, int Filter) LoadedPartitions => _whole is not null
        ? (_parts.Length, _filterParts.Length)
        : (_parts.Count(p => p is not null), _filterParts.Count(p => p is not null));

    /// <summary>True once the index and filter are held whole (every partition was read).</summary>
    internal bool IsWhole => _whole is not null;

    /// <summary>The format version of the file.</summary>
    internal uint FormatVersion => _footer.Version;

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
    /// thread) and loads its whole index and filter at once, while the file is in the page cache:
    /// the first reads of a new table then do not pay for it. Tables listed by the manifest at
    /// open load lazily, partition by partition (<see cref="Open"/>).
    /// </summary>
    public static TableReader OpenWritten(string path, TableProperties properties, BlockCache cache)
    {
        var table = Open(path, properties, cache);
        try
        {
            table.LoadAll();
            return table;
        }
        catch
        {
            table.Release();
            throw;
        }
    }

    /// <summary>Reads and verifies the top-level index if this is the table's first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EnsureLoaded()
    {
        if (!_loaded) LoadTop();
    }

    /// <summary>Every index and filter partition, then joined whole (a table this store has just written).</summary>
    private void LoadAll()
    {
        EnsureLoaded();
        for (var p = 0; p < _parts.Length && _whole is null; p++) Part(p);
        for (var f = 0; f < _filterParts.Length && _whole is null; f++)
            if (Volatile.Read(ref _filterParts[f]) is null) LoadFilterPart(f);
    }

    /// <summary>
    /// The first use of the table: reads and verifies the top-level index (version 2), or the
    /// whole index and filter (version 1), then publishes them. A damaged block throws
    /// <see cref="LsmCorruptionException"/> (file, block offset) and publishes nothing, so every
    /// later use reports it again.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void LoadTop()
    {
        lock (_loadLock)
        {
            if (_loaded) return;
            var footer = _footer;
            if (footer.Version == TableFooter.FirstFormatVersion)
            {
                LoadFirstVersion(footer);
                return;
            }
            var scratch = Scratch(footer.IndexSize + 4);
            ReadVerified(_handle, Path, footer.IndexOffset, footer.IndexSize, "top-level index block", scratch);
            var top = DecodeIndex(scratch, footer.IndexSize, Path, footer.IndexOffset, "top-level index",
                footer.FilterOffset + footer.FilterSize, footer.IndexOffset);
            if (top.Count != TableFooter.IndexPartitions(footer.BlockCount))
                LsmThrow.Corruption(Path, footer.IndexOffset, $"top-level index names {top.Count} partitions, the footer {footer.BlockCount} data blocks");
            _top = top;
            _parts = new IndexPart?[top.Count];
            _filterLines = footer.FilterLines;
            _filterProbes = footer.FilterProbes;
            _filterParts = new byte[]?[TableFooter.FilterPartitions(footer.FilterLines)];
            _blockCount = footer.BlockCount;
            _blocks = new byte[]?[footer.BlockCount];
            _loaded = true;   // volatile: publishes the fields above
        }
    }

    /// <summary>A version-1 table: one index block and one filter block, read whole and held as partitions.</summary>
    private void LoadFirstVersion(TableFooter footer)
    {
        var filter = ReadVerified(_handle, Path, footer.FilterOffset, footer.FilterSize, "filter block");
        var scratch = Scratch(footer.IndexSize + 4);
        ReadVerified(_handle, Path, footer.IndexOffset, footer.IndexSize, "index block", scratch);
        var whole = DecodeIndex(scratch, footer.IndexSize, Path, footer.IndexOffset, "index", 0, footer.FilterOffset);
        var count = whole.Count;
        var parts = new IndexPart?[TableFooter.IndexPartitions(count)];
        var top = new IndexPart.Builder(parts.Length);
        for (var p = 0; p < parts.Length; p++)
        {
            var first = p << TableFooter.PartitionShift;
            var part = whole.Slice(first, Math.Min(TableFooter.BlocksPerPartition, count - first));
            parts[p] = part;
            top.Add(part.LastKey(part.Count - 1), 0, 0);
        }
        var lines = footer.FilterSize >= 65 ? (footer.FilterSize - 1) / 64 : 0;
        var filterParts = new byte[]?[TableFooter.FilterPartitions(lines)];
        for (var f = 0; f < filterParts.Length; f++)
        {
            var at = f * TableFooter.FilterPartitionBytes;
            filterParts[f] = filter.AsSpan(at, Math.Min(TableFooter.FilterPartitionBytes, lines * 64 - at)).ToArray();
        }
        _top = top.Build();
        _parts = parts;
        _filterLines = lines;
        _filterProbes = lines > 0 ? filter[footer.FilterSize - 1] : 0;
        _filterParts = filterParts;
        _blockCount = count;
        _blocks = new byte[]?[count];
        _partsLoaded = parts.Length;
        _filterPartsLoaded = filterParts.Length;
        _loaded = true;   // volatile: publishes the fields above
        MakeWhole();
    }

    /// <summary>Index partition <paramref name="p"/>, read and verified on its first use.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private IndexPart Part(int p) => Volatile.Read(ref _parts[p]) ?? LoadPart(p);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private IndexPart LoadPart(int p)
    {
        var offset = _top.Offsets[p];
        var size = _top.Sizes[p];
        var scratch = Scratch(size + 4);
        ReadVerified(_handle, Path, offset, size, "index partition", scratch);
        var part = DecodeIndex(scratch, size, Path, offset, "index partition", 0, _dataEnd);
        var expected = Math.Min(TableFooter.BlocksPerPartition, _blockCount - (p << TableFooter.PartitionShift));
        if (part.Count != expected) LsmThrow.Corruption(Path, offset, $"index partition {p} holds {part.Count} blocks, expected {expected}");
        var won = Interlocked.CompareExchange(ref _parts[p], part, null);
        if (won is not null) return won;
        if (Interlocked.Increment(ref _partsLoaded) >= _parts.Length && Volatile.Read(ref _filterPartsLoaded) >= _filterParts.Length) MakeWhole();
        return part;
    }

    /// <summary>Filter partition <paramref name="f"/> (4 KiB of lines), read and verified on its first use.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] LoadFilterPart(int f)
    {
        var offset = _footer.FilterOffset + (long)f * (TableFooter.FilterPartitionBytes + 4);
        var size = Math.Min(TableFooter.FilterPartitionBytes, _filterLines * 64 - f * TableFooter.FilterPartitionBytes);
        var part = GC.AllocateUninitializedArray<byte>(size + 4);
        ReadVerified(_handle, Path, offset, size, "filter partition", part);
        var won = Interlocked.CompareExchange(ref _filterParts[f], part, null);
        if (won is not null) return won;
        if (Interlocked.Increment(ref _filterPartsLoaded) >= _filterParts.Length && Volatile.Read(ref _partsLoaded) >= _parts.Length) MakeWhole();
        return part;
    }

    /// <summary>
    /// Every partition is in memory: joins them into one index and one filter array, publishes
    /// them, then drops the partitions (a reader that still looks for one after that reads it
    /// again from disk: correct, rare). Idempotent.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void MakeWhole()
    {
        lock (_loadLock)
        {
            if (_whole is not null) return;
            var keyBytes = 0;
            foreach (var part in _parts)
            {
                if (part is null) return;   // dropped by an earlier join, or not read yet
                keyBytes += part.KeyBytes;
            }
            foreach (var f in _filterParts) if (f is null) return;
            var index = new IndexPart.Builder(_blockCount, keyBytes);
            foreach (var part in _parts)
                for (var i = 0; i < part!.Count; i++) index.Add(part.LastKey(i), part.Offsets[i], part.Sizes[i]);
            var filter = GC.AllocateUninitializedArray<byte>(_filterLines * 64);
            for (var f = 0; f < _filterParts.Length; f++)
            {
                var at = f * TableFooter.FilterPartitionBytes;
                _filterParts[f].AsSpan(0, Math.Min(TableFooter.FilterPartitionBytes, filter.Length - at)).CopyTo(filter.AsSpan(at));
            }
            _whole = new Whole(index.Build(), filter);
            Array.Clear(_parts);
            Array.Clear(_filterParts);
        }
    }

    /// <summary>A table's whole index and filter (see <see cref="_whole"/>).</summary>
    private sealed class Whole(IndexPart index, byte[] filter)
    {
        public readonly IndexPart Index = index;
        public readonly byte[] Filter = filter;
    }

    /// <summary>Size and offset of data block <paramref name="index"/> (reads its index partition on first use).</summary>
    private int BlockHandle(int index, out long offset)
    {
        var whole = _whole;
        if (whole is not null)
        {
            offset = whole.Index.Offsets[index];
            return whole.Index.Sizes[index];
        }
        var part = Part(index >> TableFooter.PartitionShift);
        offset = part.Offsets[index & (TableFooter.BlocksPerPartition - 1)];
        return part.Sizes[index & (TableFooter.BlocksPerPartition - 1)];
    }

    /// <summary>The thread's buffer for a block read from disk before it is decoded or laid out for the cache.</summary>
    private static byte[] Scratch(int bytes)
    {
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < bytes) t_scratch = scratch = new byte[Math.Max(bytes, 16 << 10)];
        return scratch;
    }

    /// <summary>The filter's answer for the line <see cref="Prepare"/> found (null: no filter, the key may be present).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool MayContain(byte[]? filterPart, int filterAt, ulong hash) =>
        filterPart is null || BloomFilter.LineMayContain(filterPart, filterAt, _filterProbes, hash);

    /// <summary>
    /// The first step of a point read: finds the data block that may hold the key and requests
    /// the filter's line and the cached block's first lines at once, so that their misses
    /// overlap (see <see cref="Prefetch"/>). Reads the filter partition and the index partition
    /// the key needs on their first use. Then <see cref="MayContain"/> with the filter's line, then <see cref="TryGet"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Prepare(ReadOnlySpan<byte> userKey, ulong snapshot, ulong hash, out byte[]? filterPart, out int filterAt)
    {
        if (!_loaded) LoadTop();
        var lines = _filterLines;
        filterPart = null;
        filterAt = 0;
        var whole = _whole;
        if (lines != 0)
        {
            var line = BloomFilter.LineOf(hash, lines);
            if (whole is not null)
            {
                filterPart = whole.Filter;
                filterAt = line * 64;
            }
            else
            {
                filterPart = Volatile.Read(ref _filterParts[line >> TableFooter.FilterPartitionShift]) ?? LoadFilterPart(line >> TableFooter.FilterPartitionShift);
                filterAt = (line & (TableFooter.LinesPerFilterPartition - 1)) * 64;
            }
            Prefetch.Lines(filterPart, filterAt, 1);
        }
        var trailer = InternalKey.Trailer(snapshot, EntryKind.Value);
        var b = whole is not null ? whole.Index.Find(CachedBlock.Prefix(userKey), userKey, trailer) : FindPartitioned(userKey, trailer);
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

    /// <summary>Index of the first block whose last key is at or after the probe (BlockCount when none); reads its index partition on first use.</summary>
    public int FindBlock(ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var whole = _whole;
        return whole is not null ? whole.Index.Find(CachedBlock.Prefix(userKey), userKey, trailer) : FindPartitioned(userKey, trailer);
    }

    private int FindPartitioned(ReadOnlySpan<byte> userKey, ulong trailer)
    {
        var prefix = CachedBlock.Prefix(userKey);
        var p = _top.Find(prefix, userKey, trailer);
        if (p >= _parts.Length) return _blockCount;
        return (p << TableFooter.PartitionShift) + Part(p).Find(prefix, userKey, trailer);
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
        var size = BlockHandle(index, out var offset);
        if (buffer.Length < size + 4) buffer = new byte[Math.Max(size + 4, 2 * buffer.Length)];
        ReadBlock(index, buffer, readAhead);
        cursor.Reset(buffer, size, Path, offset);
    }

    /// <summary>Reads, verifies and caches a data block. A recyclable block reuses an evicted array: no allocation once the cache is full.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte[] LoadBlockSlow(int index, byte kind, out int generation, ReadAhead? readAhead = null)
    {
        var size = BlockHandle(index, out var offset);
        var scratch = Scratch(size + 4);
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
        var size = BlockHandle(index, out var offset);
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

    /// <summary>
    /// Decodes an index block (the top level, a partition, or a version-1 index) in two passes
    /// (count, then fill), so that each array is allocated once, at its size. Every handle must
    /// lie in [<paramref name="lowest"/>, <paramref name="end"/>).
    /// </summary>
    private static IndexPart DecodeIndex(byte[] block, int size, string path, long at, string what, long lowest, long end)
    {
        var it = t_cursor ??= new BlockIterator();
        it.Reset(block, size, path, at);
        int count = 0, keyBytes = 0;
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            count++;
            keyBytes += it.Key.Length;
        }
        var builder = new IndexPart.Builder(count, keyBytes);
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var v = it.Value;
            if (v.Length != 12) LsmThrow.Corruption(path, at, what + " entry of bad length");
            var off = BinaryPrimitives.ReadInt64LittleEndian(v);
            var sz = BinaryPrimitives.ReadInt32LittleEndian(v[8..]);
            if (off < lowest || sz < 4 || off + sz + 4 > end)
                LsmThrow.Corruption(path, at, $"{what} entry points outside its area (offset {off}, size {sz})");
            builder.Add(it.Key, off, sz);
        }
        return builder.Build();
    }

    /// <summary>
    /// One level of the index in memory: for each entry (a data block, or an index partition at
    /// the top level) its last internal key, the first 8 bytes of that key's user key (most
    /// compares stay in that array) and the block's offset and size.
    /// </summary>
    private sealed class IndexPart
    {
        public static readonly IndexPart Empty = new([], [0], [], [], []);

        private readonly byte[] _keys;            // each entry's last internal key, back to back
        private readonly int[] _starts;           // entry i's key is _keys[_starts[i].._starts[i + 1]]
        private readonly ulong[] _prefixes;

        private IndexPart(byte[] keys, int[] starts, ulong[] prefixes, long[] offsets, int[] sizes)
        {
            _keys = keys;
            _starts = starts;
            _prefixes = prefixes;
            Offsets = offsets;
            Sizes = sizes;
        }

        public long[] Offsets { get; }
        public int[] Sizes { get; }
        public int Count => Offsets.Length;
        public int KeyBytes => _starts[^1];

        public ReadOnlySpan<byte> LastKey(int i) => _keys.AsSpan(_starts[i], _starts[i + 1] - _starts[i]);

        /// <summary>The first entry whose last key is at or after the probe (Count when none).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int Find(ulong prefix, ReadOnlySpan<byte> userKey, ulong trailer)
        {
            var prefixes = _prefixes;
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

        /// <summary>Entries [<paramref name="first"/>, first + count) as a part of their own (version-1 tables).</summary>
        public IndexPart Slice(int first, int count)
        {
            var b = new Builder(count, _starts[first + count] - _starts[first]);
            for (var i = first; i < first + count; i++) b.Add(LastKey(i), Offsets[i], Sizes[i]);
            return b.Build();
        }

        public sealed class Builder
        {
            private byte[] _keys;
            private readonly int[] _starts;
            private readonly ulong[] _prefixes;
            private readonly long[] _offsets;
            private readonly int[] _sizes;
            private int _count;

            public Builder(int count, int keyBytes = 0)
            {
                _keys = GC.AllocateUninitializedArray<byte>(keyBytes);
                _starts = new int[count + 1];
                _prefixes = new ulong[count];
                _offsets = new long[count];
                _sizes = new int[count];
            }

            public void Add(ReadOnlySpan<byte> key, long offset, int size)
            {
                var at = _starts[_count];
                if (_keys.Length < at + key.Length) Array.Resize(ref _keys, Math.Max(2 * _keys.Length, at + key.Length));
                key.CopyTo(_keys.AsSpan(at));
                _starts[_count + 1] = at + key.Length;
                _prefixes[_count] = CachedBlock.Prefix(InternalKey.UserKey(key));
                _offsets[_count] = offset;
                _sizes[_count] = size;
                _count++;
            }

            public IndexPart Build() => new(_keys, _starts, _prefixes, _offsets, _sizes);
        }
    }
}

using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Microsoft.Win32.SafeHandles;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Reads one immutable table file. The index and the bloom filter are read and verified when
/// the table opens and stay in memory; data blocks go through the shared <see cref="BlockCache"/>
/// and are verified (CRC-32C) before they are cached or used.
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

    private readonly SafeFileHandle _handle;
    private readonly BlockCache _cache;
    private readonly byte[][] _lastKeys;
    private readonly ulong[] _lastKeyPrefixes;     // first 8 bytes of each block's last user key, big-endian: most index compares stay in this array
    private readonly CachedBlock?[] _blocks;            // cached blocks; a slot is set by CompareExchange and cleared by the cache's eviction
    private readonly byte[] _referenced;           // CLOCK bits; racy on purpose (a lost bit costs a second chance)
    private readonly long[] _offsets;
    private readonly int[] _sizes;
    private readonly byte[] _filter;
    private int _references = 1;   // Interlocked
    private volatile bool _obsolete;

    private TableReader(string path, TableProperties properties, SafeFileHandle handle, BlockCache cache,
        byte[][] lastKeys, long[] offsets, int[] sizes, byte[] filter)
    {
        Path = path;
        Properties = properties;
        _handle = handle;
        _cache = cache;
        _lastKeys = lastKeys;
        _lastKeyPrefixes = lastKeys.Select(k => CachedBlock.Prefix(InternalKey.UserKey(k))).ToArray();
        _blocks = new CachedBlock?[offsets.Length];
        _referenced = new byte[offsets.Length];
        _offsets = offsets;
        _sizes = sizes;
        _filter = filter;
    }

    public string Path { get; }
    public TableProperties Properties { get; }
    public ulong FileNumber => Properties.FileNumber;
    public int BlockCount => _offsets.Length;

    /// <summary>Opens and verifies the footer, the index and the filter.</summary>
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
            var filter = ReadVerified(handle, path, footer.FilterOffset, footer.FilterSize, "filter block").AsSpan(0, footer.FilterSize).ToArray();
            var index = ReadVerified(handle, path, footer.IndexOffset, footer.IndexSize, "index block");
            var (keys, offsets, sizes) = DecodeIndex(index, path, footer);
            return new TableReader(path, properties, handle, cache, keys, offsets, sizes, filter);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool MayContain(ulong hash) => BloomFilter.MayContain(_filter, hash);

    /// <summary>Finds the newest version of a user key at or below the snapshot; the value view points into a cached block.</summary>
    public bool TryGet(ReadOnlySpan<byte> userKey, ulong snapshot, out EntryKind kind, out ulong sequence, out ReadOnlySpan<byte> value)
    {
        var trailer = InternalKey.Trailer(snapshot, EntryKind.Value);
        var b = FindBlock(userKey, trailer);
        if (b < _offsets.Length)
        {
            var cursor = t_cursor ??= new BlockIterator();
            LoadBlock(b, cursor);
            cursor.Seek(userKey, trailer);
            if (cursor.Valid && InternalKey.UserKey(cursor.Key).SequenceEqual(userKey))
            {
                var t = InternalKey.TrailerOf(cursor.Key);
                kind = (EntryKind)(byte)t;
                sequence = t >> 8;
                value = cursor.Value;
                return true;
            }
        }
        kind = default;
        sequence = 0;
        value = default;
        return false;
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
            if (p < prefix || (p == prefix && InternalKey.Compare(_lastKeys[mid], userKey, trailer) < 0)) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Points <paramref name="cursor"/> at data block <paramref name="index"/> (from the cache or disk).</summary>
    public void LoadBlock(int index, BlockIterator cursor)
    {
        var block = Volatile.Read(ref _blocks[index]);
        if (block is not null)
        {
            if (_referenced[index] == 0) _referenced[index] = 1;
            _cache.NoteHit();
        }
        else block = LoadBlockSlow(index);
        cursor.Reset(block, Path, _offsets[index]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private CachedBlock LoadBlockSlow(int index)
    {
        var bytes = ReadVerified(_handle, Path, _offsets[index], _sizes[index], "data block");
        var block = new CachedBlock(bytes, _sizes[index], Path, _offsets[index]);
        _cache.NoteMiss();
        if (bytes.Length <= _cache.Capacity && Interlocked.CompareExchange(ref _blocks[index], block, null) is null)
            _cache.Added(this, index, bytes.Length);
        return block;
    }

    internal bool IsReferenced(int index) => _referenced[index] != 0;

    internal void ClearReferenced(int index) => _referenced[index] = 0;

    /// <summary>Drops a cached block (the cache's lock is held); returns its size, 0 when it was not cached.</summary>
    internal int Evict(int index) => Interlocked.Exchange(ref _blocks[index], null)?.Data.Length ?? 0;

    /// <summary>Drops every cached block (the cache's lock is held); returns their total size.</summary>
    internal long EvictAll()
    {
        long n = 0;
        for (var i = 0; i < _blocks.Length; i++) n += Evict(i);
        return n;
    }


    public TableIterator NewIterator() => new(this);

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
        var read = RandomAccess.Read(handle, buffer, offset);
        if (read != buffer.Length) LsmThrow.Corruption(path, offset, $"{what} truncated ({read} of {buffer.Length} bytes)");
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(size));
        if (Crc32C.Compute(buffer.AsSpan(0, size)) != expected) LsmThrow.Corruption(path, offset, what + " checksum mismatch");
        return buffer;
    }

    private static (byte[][], long[], int[]) DecodeIndex(byte[] index, string path, TableFooter footer)
    {
        var it = new BlockIterator();
        it.Reset(index, footer.IndexSize, path, footer.IndexOffset);
        var keys = new List<byte[]>();
        var offsets = new List<long>();
        var sizes = new List<int>();
        for (it.SeekToFirst(); it.Valid; it.Next())
        {
            var v = it.Value;
            if (v.Length != 12) LsmThrow.Corruption(path, footer.IndexOffset, "index entry of bad length");
            var off = BinaryPrimitives.ReadInt64LittleEndian(v);
            var sz = BinaryPrimitives.ReadInt32LittleEndian(v[8..]);
            if (off < 0 || sz < 4 || off + sz + 4 > footer.FilterOffset)
                LsmThrow.Corruption(path, footer.IndexOffset, $"index entry points outside the data area (offset {off}, size {sz})");
            keys.Add(it.Key.ToArray());
            offsets.Add(off);
            sizes.Add(sz);
        }
        return (keys.ToArray(), offsets.ToArray(), sizes.ToArray());
    }
}

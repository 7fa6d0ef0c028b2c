using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Format;

namespace Kernel.Storage.Lsm.Tables;

/// <summary>
/// Writes one immutable table file from entries in increasing internal-key order (layout drawn
/// in <see cref="TableReader"/>). The file is fsynced by <see cref="Finish"/>; a table that is
/// not finished is deleted by <see cref="Dispose"/>.
/// </summary>
internal sealed class TableWriter : IDisposable
{
    private readonly string _path;
    private readonly ulong _fileNumber;
    private readonly FileStream _file;
    private readonly BlockBuilder _data;
    private readonly BlockBuilder _index = new(1);          // the index partition being built
    private readonly List<(byte[] Block, byte[] LastKey)> _partitions = new();   // finished index partitions, written after the filter
    private int _blocks;
    private readonly int _blockBytes;
    private readonly int _bloomBitsPerKey;
    private readonly List<ulong> _hashes = new();
    private readonly byte[] _crc = new byte[4];
    private byte[] _lastUserKey = new byte[64];
    private int _lastUserKeyLength;
    private bool _hasLastUserKey;
    private byte[]? _smallest;
    private long _offset;
    private long _entries;
    private ulong _minSeq = ulong.MaxValue;
    private ulong _maxSeq;
    private bool _finished;

    public TableWriter(string path, ulong fileNumber, LsmOptions options)
    {
        _path = path;
        _fileNumber = fileNumber;
        _file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _data = new BlockBuilder(options.RestartInterval);
        _blockBytes = options.BlockBytes;
        _bloomBitsPerKey = options.BloomBitsPerKey;
    }

    public long EntryCount => _entries;

    /// <summary>Bytes written so far plus the block being built.</summary>
    public long EstimatedBytes => _offset + _data.EstimatedBytes;

    public void Add(ReadOnlySpan<byte> internalKey, ReadOnlySpan<byte> value)
    {
        var userKey = InternalKey.UserKey(internalKey);
        if (!_hasLastUserKey || !userKey.SequenceEqual(_lastUserKey.AsSpan(0, _lastUserKeyLength)))
        {
            if (_bloomBitsPerKey > 0) _hashes.Add(BloomFilter.Hash(userKey));
            if (_lastUserKey.Length < userKey.Length) _lastUserKey = new byte[userKey.Length * 2];
            userKey.CopyTo(_lastUserKey);
            _lastUserKeyLength = userKey.Length;
            _hasLastUserKey = true;
        }
        _smallest ??= userKey.ToArray();
        var seq = InternalKey.SequenceOf(internalKey);
        if (seq < _minSeq) _minSeq = seq;
        if (seq > _maxSeq) _maxSeq = seq;
        _data.Add(internalKey, value);
        _entries++;
        if (_data.EstimatedBytes >= _blockBytes) FlushDataBlock();
    }

    /// <summary>Writes the filter partitions, the index partitions, the top-level index and the footer (format version 2), fsyncs, and returns what the table holds.</summary>
    public TableProperties Finish()
    {
        if (!_data.IsEmpty) FlushDataBlock();
        if (!_index.IsEmpty) FinishPartition();
        var filterOffset = _offset;
        int lines = 0, probes = 0;
        if (_bloomBitsPerKey > 0)
        {
            var filter = BloomFilter.Build(_hashes, _bloomBitsPerKey);   // lines of 64 bytes, then k
            lines = (filter.Length - 1) / 64;
            probes = filter[^1];
            for (var at = 0; at < lines * 64; at += TableFooter.FilterPartitionBytes)
                WriteBlock(filter.AsSpan(at, Math.Min(TableFooter.FilterPartitionBytes, lines * 64 - at)));
        }
        var top = new BlockBuilder(1);
        Span<byte> handle = stackalloc byte[12];
        foreach (var (block, lastKey) in _partitions)
        {
            BinaryPrimitives.WriteInt64LittleEndian(handle, _offset);
            BinaryPrimitives.WriteInt32LittleEndian(handle[8..], block.Length);
            top.Add(lastKey, handle);
            WriteBlock(block);
        }
        var topOffset = _offset;
        var topBlock = top.IsEmpty ? EmptyBlock() : top.Finish().ToArray();
        WriteBlock(topBlock);
        Span<byte> footer = stackalloc byte[TableFooter.Bytes];
        TableFooter.Create(topOffset, topBlock.Length, filterOffset, lines, probes, _blocks).Write(footer);
        _file.Write(footer);
        _offset += TableFooter.Bytes;
        _file.Flush(flushToDisk: true);
        _file.Dispose();
        _finished = true;
        return new TableProperties(_fileNumber, _offset, _entries, _smallest ?? [], _lastUserKey.AsSpan(0, _lastUserKeyLength).ToArray(), _entries == 0 ? 0 : _minSeq, _maxSeq);
    }

    public void Dispose()
    {
        if (_finished) return;
        _file.Dispose();
        try { File.Delete(_path); } catch (IOException) { }
    }

    private void FlushDataBlock()
    {
        var lastKey = _data.LastKey.ToArray();
        var block = _data.Finish();
        var offset = _offset;
        WriteBlock(block);
        Span<byte> handle = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(handle, offset);
        BinaryPrimitives.WriteInt32LittleEndian(handle[8..], block.Length);
        _index.Add(lastKey, handle);
        _data.Reset();
        if (++_blocks % TableFooter.BlocksPerPartition == 0) FinishPartition();
    }

    /// <summary>Closes the index partition being built (every 128 data blocks, and the last one).</summary>
    private void FinishPartition()
    {
        var lastKey = _index.LastKey.ToArray();
        _partitions.Add((_index.Finish().ToArray(), lastKey));
        _index.Reset();
    }

    private void WriteBlock(ReadOnlySpan<byte> block)
    {
        _file.Write(block);
        BinaryPrimitives.WriteUInt32LittleEndian(_crc, Crc32C.Compute(block));
        _file.Write(_crc);
        _offset += block.Length + 4;
    }

    private static byte[] EmptyBlock()
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), 1);
        return b;
    }
}

using System.Buffers;

namespace Kernel.Sources;

/// <summary>
/// The memory a source's <see cref="System.IO.Pipelines.PipeReader"/> reads into: a few fixed-size
/// blocks reused for the whole run. <see cref="MemoryPool{T}.Shared"/> allocates an owner object
/// per rent (one per read), which is what keeps a steady-state run from being allocation-free
/// (the <c>sources/ingest-lines</c> quick case measures it).
/// </summary>
/// <remarks>
/// <para>One pool serves one read loop. Rent and return may run on different threads (the loop's
/// awaits hop threads), so the free list is guarded by a lock, taken once per read buffer.</para>
/// <para>The blocks' arrays come from <see cref="SourceArrays{T}"/> and go back to it when the
/// loop ends (<see cref="MemoryPool{T}.Dispose()"/>), so a run after the first (a source per file,
/// a reconnecting TCP peer) does not allocate its read buffers again: with 1 MiB reads they were
/// most of what an <c>ingest-csv</c> run allocated.</para>
/// </remarks>
internal sealed class SegmentPool : MemoryPool<byte>
{
    private const int MaxFree = 16;
    private readonly int _blockSize;
    // Guarded by itself, as is _disposed.
    private readonly Stack<Block> _free = new();
    private bool _disposed;

    public SegmentPool(int blockSize) => _blockSize = blockSize;

    public override int MaxBufferSize => int.MaxValue;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        if (minBufferSize <= _blockSize)
        {
            lock (_free)
            {
                if (_free.TryPop(out var block)) return block.Reuse();
            }
        }
        var length = Math.Max(minBufferSize, _blockSize);
        return new Block(this, SourceArrays<byte>.Pool.Rent(length), length);
    }

    private void Return(Block block)
    {
        lock (_free)
        {
            if (!_disposed && block.Length == _blockSize && _free.Count < MaxFree)
            {
                _free.Push(block);
                return;
            }
        }
        SourceArrays<byte>.Pool.Return(block.Array);
    }

    /// <summary>Hands the free blocks' arrays back to the shared pool; a block returned later goes straight back too.</summary>
    protected override void Dispose(bool disposing)
    {
        lock (_free)
        {
            _disposed = true;
            while (_free.TryPop(out var block)) SourceArrays<byte>.Pool.Return(block.Array);
        }
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly SegmentPool _pool;
        private readonly byte[] _array;
        // False while rented; set by Dispose so a double dispose cannot return the block twice.
        private bool _returned;

        public Block(SegmentPool pool, byte[] array, int length)
        {
            _pool = pool;
            _array = array;
            Length = length;
        }

        // The size asked for (the shared pool may hand out a longer array).
        public int Length { get; }

        public byte[] Array => _array;

        public Memory<byte> Memory => _array;

        public Block Reuse()
        {
            _returned = false;
            return this;
        }

        public void Dispose()
        {
            if (_returned) return;
            _returned = true;
            _pool.Return(this);
        }
    }
}

using System.Buffers;

namespace Kernel.Sources;

/// <summary>
/// The memory a source's <see cref="System.IO.Pipelines.PipeReader"/> reads into: a few fixed-size
/// blocks reused for the whole run. <see cref="MemoryPool{T}.Shared"/> allocates an owner object
/// per rent (one per read), which is what keeps a steady-state run from being allocation-free
/// (the <c>sources/ingest-lines</c> quick case measures it).
/// </summary>
/// <remarks>
/// One pool serves one read loop. Rent and return may run on different threads (the loop's
/// awaits hop threads), so the free list is guarded by a lock, taken once per read buffer.
/// </remarks>
internal sealed class SegmentPool : MemoryPool<byte>
{
    private const int MaxFree = 16;
    private readonly int _blockSize;
    // Guarded by itself.
    private readonly Stack<Block> _free = new();

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
        return new Block(this, new byte[Math.Max(minBufferSize, _blockSize)]);
    }

    private void Return(Block block)
    {
        if (block.Length != _blockSize) return;
        lock (_free)
        {
            if (_free.Count < MaxFree) _free.Push(block);
        }
    }

    protected override void Dispose(bool disposing)
    {
        lock (_free) _free.Clear();
    }

    private sealed class Block : IMemoryOwner<byte>
    {
        private readonly SegmentPool _pool;
        private readonly byte[] _array;
        // False while rented; set by Dispose so a double dispose cannot return the block twice.
        private bool _returned;

        public Block(SegmentPool pool, byte[] array)
        {
            _pool = pool;
            _array = array;
        }

        public int Length => _array.Length;

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

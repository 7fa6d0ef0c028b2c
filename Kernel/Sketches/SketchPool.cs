using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Kernel.Sketches;

/// <summary>
/// The sketches of one sketch member of an aggregation, one per (key, window) holding it, addressed
/// by a handle the unmanaged state keeps (1-based; 0 = none yet). Released sketches are cleared and
/// reused, so an endless windowed stream allocates only while the number of live (key, window)
/// pairs grows past what it has held before.
/// </summary>
/// <remarks>
/// <para>Snapshot section (little-endian): live count u32 · handle high-water mark u32 · rents i64 ·
/// per live sketch: handle i32 · length i32 · the sketch's own serialized form (with its frame and CRC).</para>
/// <para>What a rented sketch does may depend only on the rent's number (<see cref="OnRent"/>), never
/// on which released sketch is reused: a restored pool then continues exactly like the original.</para>
/// <para>Single-threaded, like the operator that owns it.</para>
/// </remarks>
/// <typeparam name="T">The sketch type.</typeparam>
public abstract class SketchPool<T> where T : class
{
    private T?[] _items = new T?[16];   // index = handle − 1
    private bool[] _live = new bool[16];
    private int[] _free = new int[16];
    private int _freeCount;
    private int _highWater;
    private int _liveCount;
    private long _rents;

    /// <summary>The number of sketches handed out and not released.</summary>
    public int Live => _liveCount;

    /// <summary>The sketch behind a handle from <see cref="Rent"/>.</summary>
    public T this[int handle]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _items[handle - 1]!;
    }

    /// <summary>Hands out an empty sketch and returns its handle (≥ 1).</summary>
    public int Rent()
    {
        int index;
        if (_freeCount > 0)
        {
            index = _free[--_freeCount];
        }
        else
        {
            if (_highWater == _items.Length) Grow(_items.Length * 2);
            index = _highWater++;
            _items[index] ??= Create();
        }
        _live[index] = true;
        _liveCount++;
        OnRent(_items[index]!, ++_rents);
        return index + 1;
    }

    /// <summary>Clears the sketch behind <paramref name="handle"/> and keeps it for reuse.</summary>
    public void Release(int handle)
    {
        var index = handle - 1;
        if ((uint)index >= (uint)_highWater || !_live[index])
            SketchThrowHelper.InvalidOperation($"Sketch handle {handle} is not live.");
        Reset(_items[index]!);
        _live[index] = false;
        _liveCount--;
        if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
        _free[_freeCount++] = index;
    }

    /// <summary>Releases every sketch.</summary>
    public void Clear()
    {
        for (var i = 0; i < _highWater; i++)
        {
            if (_live[i]) Reset(_items[i]!);
            _live[i] = false;
        }
        _freeCount = 0;
        for (var i = _highWater - 1; i >= 0; i--)
        {
            if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
            _free[_freeCount++] = i;
        }
        _liveCount = 0;
    }

    /// <summary>Writes the live sketches with their handles (format above).</summary>
    public void WriteSnapshot(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var head = output.GetSpan(16);
        BinaryPrimitives.WriteInt32LittleEndian(head, _liveCount);
        BinaryPrimitives.WriteInt32LittleEndian(head[4..], _highWater);
        BinaryPrimitives.WriteInt64LittleEndian(head[8..], _rents);
        output.Advance(16);
        for (var i = 0; i < _highWater; i++)
        {
            if (!_live[i]) continue;
            var sketch = _items[i]!;
            var size = SizeOf(sketch);
            var span = output.GetSpan(8 + size);
            BinaryPrimitives.WriteInt32LittleEndian(span, i + 1);
            BinaryPrimitives.WriteInt32LittleEndian(span[4..], size);
            var written = Write(sketch, span.Slice(8, size));
            output.Advance(8 + written);
        }
    }

    /// <summary>Replaces the pool with a section written by <see cref="WriteSnapshot"/>; returns the bytes read.</summary>
    /// <remarks>
    /// Every sketch is read into a new one of its own before the pool changes: a damaged section leaves the
    /// pool as it was.
    /// </remarks>
    /// <exception cref="InvalidDataException">The section is damaged.</exception>
    public int RestoreSnapshot(ReadOnlySpan<byte> source)
    {
        if (source.Length < 16) SketchThrowHelper.InvalidData("sketch pool", "header", 0, $"{source.Length} bytes is shorter than 16");
        var live = BinaryPrimitives.ReadInt32LittleEndian(source);
        var highWater = BinaryPrimitives.ReadInt32LittleEndian(source[4..]);
        if (live < 0 || highWater < live) SketchThrowHelper.InvalidData("sketch pool", "counts", 0, $"{live} live sketches and high-water mark {highWater} are inconsistent");
        // An entry takes at least 8 bytes: a count the section cannot hold fails below without a large allocation here.
        var handles = new int[Math.Min(live, (source.Length - 16) / 8)];
        var sketches = new T[handles.Length];
        var seen = new HashSet<int>(handles.Length);
        var at = 16;
        for (var n = 0; n < live; n++)
        {
            if (at + 8 > source.Length) SketchThrowHelper.InvalidData("sketch pool", "entry", at, "runs past the end");
            var handle = BinaryPrimitives.ReadInt32LittleEndian(source[at..]);
            var length = BinaryPrimitives.ReadInt32LittleEndian(source[(at + 4)..]);
            at += 8;
            if (handle < 1 || handle > highWater || length < 0 || at + length > source.Length)
                SketchThrowHelper.InvalidData("sketch pool", "entry", at - 8, $"handle {handle} or length {length} is out of range");
            if (!seen.Add(handle))
                SketchThrowHelper.InvalidData("sketch pool", "entry", at - 8, $"handle {handle} is live twice");
            handles[n] = handle;
            sketches[n] = Read(source.Slice(at, length), Create());
            at += length;
        }

        Clear();
        if (highWater > _items.Length) Grow(Math.Max(highWater, _items.Length * 2));
        for (var i = _highWater; i < highWater; i++) _items[i] ??= Create();
        _highWater = highWater;
        _rents = BinaryPrimitives.ReadInt64LittleEndian(source[8..]);
        for (var n = 0; n < live; n++)
        {
            _items[handles[n] - 1] = sketches[n];
            _live[handles[n] - 1] = true;
        }
        _liveCount = live;
        // Free list: every slot below the high-water mark that is not live.
        _freeCount = 0;
        for (var i = highWater - 1; i >= 0; i--)
        {
            if (_live[i]) continue;
            if (_freeCount == _free.Length) Array.Resize(ref _free, Math.Max(_free.Length * 2, highWater));
            _free[_freeCount++] = i;
        }
        return at;
    }

    /// <summary>Called with each rented (empty) sketch and the rent's number, 1, 2, …; nothing by default.</summary>
    protected virtual void OnRent(T sketch, long rent)
    {
    }

    /// <summary>Makes a new empty sketch (only while the pool grows).</summary>
    protected abstract T Create();

    /// <summary>Empties a sketch for reuse.</summary>
    protected abstract void Reset(T sketch);

    /// <summary>The serialized size of a sketch.</summary>
    protected abstract int SizeOf(T sketch);

    /// <summary>Serializes a sketch; returns the bytes written.</summary>
    protected abstract int Write(T sketch, Span<byte> destination);

    /// <summary>Reads a serialized sketch, into <paramref name="reuse"/> when the type allows, and returns it.</summary>
    protected abstract T Read(ReadOnlySpan<byte> source, T reuse);

    private void Grow(int size)
    {
        Array.Resize(ref _items, size);
        Array.Resize(ref _live, size);
        if (_free.Length < size) Array.Resize(ref _free, size);
    }
}

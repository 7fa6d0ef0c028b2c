using System.Diagnostics;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Sketches;

/// <summary>
/// A HyperLogLog distinct-count sketch ("distinct active customers per day"): 64-bit XxHash3
/// hashes, precision p from 4 to 18 (m = 2^p registers, relative standard error ≈ 1.04/√m: 0.81 %
/// at the default p = 14 in 16 KiB), a sparse representation while the count is small, Ertl's
/// improved estimator, exact merge and a compact checksummed serialized form.
/// </summary>
/// <remarks>
/// <para><b>Representation.</b> A new sketch is sparse: it keeps each distinct hash's (index, rank)
/// at precision p' = 25 as a 32-bit entry in a buffer of m/4 entries (m bytes). Its estimate
/// is then nearly exact (a 2^25-register sketch). When the deduplicated entries pass 3/4 of the buffer,
/// the sketch turns dense: one array of m byte-registers is allocated (once in the sketch's life)
/// and the sparse buffer dropped. A sparse entry converts to exactly the dense register update its
/// hash would have made, so the representation never changes the dense registers, and merging a
/// sparse sketch into a dense one is exact. Precisions below 6 start dense.</para>
/// <para><b>Estimator.</b> Ertl's improved raw estimator (2017) over the histogram of register values,
/// rather than HLL++'s empirical bias tables: it needs no tables of magic numbers (HLL++'s are
/// measured per precision and cannot be derived), it is unbiased to within the HLL standard error
/// over the whole range from 0 to far beyond 2^p, and it has no switch-over point between linear
/// counting and the raw estimate where error spikes. The same estimator reads sparse entries as a
/// p' = 25 sketch with a 39-bit rank.</para>
/// <para>Allocation-free per item in both representations; not thread-safe (one writer).</para>
/// </remarks>
public sealed partial class HyperLogLog
{
    /// <summary>The smallest precision accepted.</summary>
    public const int MinPrecision = 4;

    /// <summary>The largest precision accepted.</summary>
    public const int MaxPrecision = 18;

    /// <summary>The precision of sparse entries (HLL++'s p').</summary>
    internal const int SparsePrecision = 25;

    private const int SparseRankBits = 6;
    private const uint SparseRankMask = (1u << SparseRankBits) - 1;

    private readonly int _precision;

    // Dense registers, one byte each (rank 0..65−p); null while sparse.
    private byte[]? _registers;

    // Sparse entries: (index25 << 6) | rank; [0, _sparseCount) used, [0, _sparseSorted) sorted and
    // deduplicated. Null once dense.
    private uint[]? _sparse;
    private int _sparseCount;
    private int _sparseSorted;

    // Arrays kept by Reset for reuse: the sparse buffer of a sketch that turned dense, and the
    // registers of a dense sketch that was reset to sparse. Null until then.
    private uint[]? _spareSparse;
    private byte[]? _spareRegisters;

    /// <summary>Creates an empty sketch with 2^<paramref name="precision"/> registers.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="precision"/> is outside [4, 18].</exception>
    public HyperLogLog(int precision = 14)
    {
        if (precision is < MinPrecision or > MaxPrecision)
            SketchThrowHelper.ArgumentOutOfRange(nameof(precision), $"HyperLogLog precision must be in [{MinPrecision}, {MaxPrecision}]; it was {precision}.");
        _precision = precision;
        var m = 1 << precision;
        if (m / 4 >= 16)
            _sparse = new uint[m / 4];
        else
            _registers = new byte[m];
    }

    /// <summary>The precision p; the sketch has 2^p registers.</summary>
    public int Precision => _precision;

    /// <summary>The number of registers m = 2^p.</summary>
    public int RegisterCount => 1 << _precision;

    /// <summary>True while the sketch is in its sparse representation.</summary>
    public bool IsSparse => _registers is null;

    /// <summary>The relative standard error of the dense estimate, 1.04/√m.</summary>
    public double StandardError => 1.04 / Math.Sqrt(RegisterCount);

    /// <summary>The 64-bit hash <see cref="Add(long)"/> uses (XxHash3, seed 0, of the little-endian bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Hash(long value) => XxHash3.HashToUInt64(MemoryMarshal.AsBytes(new ReadOnlySpan<long>(in value)));

    /// <summary>Counts <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(long value) => AddHash(Hash(value));

    /// <summary>Counts the byte string <paramref name="value"/> (e.g. a UTF-8 customer id).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ReadOnlySpan<byte> value) => AddHash(XxHash3.HashToUInt64(value));

    /// <summary>
    /// Counts an unmanaged value by its raw bytes (a struct key; padding bytes must be deterministic).
    /// Named apart from <see cref="Add(long)"/> so an <c>int</c> argument still widens to
    /// <c>long</c> and hashes like the same number passed as <c>long</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddBytesOf<T>(in T value) where T : unmanaged =>
        AddHash(XxHash3.HashToUInt64(MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value))));

    /// <summary>
    /// Counts an item by a 64-bit hash the caller computed (it must be well mixed: all 64 bits used;
    /// sketches merged together must hash alike).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void AddHash(ulong hash)
    {
        var registers = _registers;
        if (registers is not null)
        {
            var p = _precision;
            var index = (int)(hash >> (64 - p));
            // The sentinel bit caps the rank at 65 − p when every remaining bit is zero.
            var rank = (byte)(BitOperations.LeadingZeroCount((hash << p) | (1UL << (p - 1))) + 1);
            ref var register = ref registers[index];
            if (rank > register)
                register = rank;
            return;
        }
        AddSparse(ToSparseEntry(hash));
    }

    /// <summary>Forgets every item. A dense sketch stays dense (its registers are zeroed, not reallocated).</summary>
    public void Clear()
    {
        if (_registers is not null)
            Array.Clear(_registers);
        _sparseCount = 0;
        _sparseSorted = 0;
    }

    /// <summary>
    /// Forgets every item and returns to the representation of a new sketch (sparse, for p ≥ 6), so
    /// that it behaves exactly as a new one would; unlike <see cref="Clear"/>, estimates of the next
    /// items do not depend on whether the sketch was dense before. Both arrays are kept: turning dense
    /// again allocates nothing. Sketch pools reset this way between windows.
    /// </summary>
    public void Reset()
    {
        if (_registers is not null && _spareSparse is not null)
        {
            _spareRegisters = _registers;
            _registers = null;
            _sparse = _spareSparse;
            _spareSparse = null;
        }
        else if (_registers is not null)
        {
            Array.Clear(_registers);   // p < 6 starts dense
        }
        _sparseCount = 0;
        _sparseSorted = 0;
    }

    /// <summary>
    /// Folds <paramref name="other"/> into this sketch, which then equals the sketch of the union of
    /// both inputs (register for register). <paramref name="other"/> is unchanged.
    /// </summary>
    /// <exception cref="ArgumentException">The precisions differ.</exception>
    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._precision != _precision)
            SketchThrowHelper.Argument(nameof(other), $"Cannot merge a precision-{other._precision} HyperLogLog into a precision-{_precision} one.");
        if (ReferenceEquals(other, this))
            return; // max(r, r) = r
        if (other._registers is { } theirs)
        {
            if (_registers is null)
                ConvertToDense();
            var mine = _registers!.AsSpan();
            var i = 0;
            for (; i + Vector<byte>.Count <= mine.Length; i += Vector<byte>.Count)
                Vector.Max(new Vector<byte>(mine[i..]), new Vector<byte>(theirs, i)).CopyTo(mine[i..]);
            for (; i < mine.Length; i++)
                mine[i] = Math.Max(mine[i], theirs[i]);
            return;
        }
        var entries = other._sparse.AsSpan(0, other._sparseCount);
        foreach (var entry in entries)
            AddSparse(entry);
    }

    /// <summary>A sparse entry: the top 25 hash bits, then the rank of the remaining 39 bits (1..40).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static uint ToSparseEntry(ulong hash)
    {
        var index = (uint)(hash >> (64 - SparsePrecision));
        var rank = (uint)BitOperations.LeadingZeroCount((hash << SparsePrecision) | (1UL << (SparsePrecision - 1))) + 1;
        return (index << SparseRankBits) | rank;
    }

    /// <summary>The dense register index and rank a sparse entry stands for (exactly the hash's own).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ApplyDense(uint entry, Span<byte> registers)
    {
        var p = _precision;
        var extraBits = SparsePrecision - p;
        var sparseIndex = entry >> SparseRankBits;
        var index = (int)(sparseIndex >> extraBits);
        var between = sparseIndex & ((1u << extraBits) - 1);
        // The bits between the dense and the sparse index come first in the dense rank's bit string.
        var rank = between != 0
            ? (byte)(BitOperations.LeadingZeroCount(between) - (32 - extraBits) + 1)
            : (byte)(extraBits + (int)(entry & SparseRankMask));
        ref var register = ref registers[index];
        if (rank > register)
            register = rank;
    }

    private void AddSparse(uint entry)
    {
        if (_registers is { } registers)
        {
            ApplyDense(entry, registers);
            return;
        }
        var sparse = _sparse!;
        if (_sparseCount == sparse.Length)
        {
            Compact();
            if (_sparseCount > sparse.Length / 4 * 3)
            {
                ConvertToDense();
                ApplyDense(entry, _registers!);
                return;
            }
        }
        sparse[_sparseCount++] = entry;
    }

    /// <summary>Sorts the sparse entries and keeps the highest rank per index.</summary>
    private void Compact()
    {
        if (_sparseSorted == _sparseCount)
            return;
        var entries = _sparse.AsSpan(0, _sparseCount);
        entries.Sort();
        var write = 0;
        for (var read = 0; read < entries.Length; read++)
        {
            // Sorted by (index, rank): the last entry of a run of equal indexes has the highest rank.
            if (read + 1 < entries.Length && (entries[read + 1] >> SparseRankBits) == (entries[read] >> SparseRankBits))
                continue;
            entries[write++] = entries[read];
        }
        _sparseCount = write;
        _sparseSorted = write;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ConvertToDense()
    {
        Debug.Assert(_registers is null, "Only a sparse sketch converts.");
        var registers = _spareRegisters ?? new byte[RegisterCount];
        if (_spareRegisters is not null)
        {
            Array.Clear(registers);
            _spareRegisters = null;
        }
        foreach (var entry in _sparse.AsSpan(0, _sparseCount))
            ApplyDense(entry, registers);
        _registers = registers;
        _spareSparse = _sparse;
        _sparse = null;
        _sparseCount = 0;
        _sparseSorted = 0;
    }

    /// <summary>The dense registers this sketch stands for, whatever its representation (tests compare sketches with it).</summary>
    internal void CopyDenseRegisters(Span<byte> destination)
    {
        if (_registers is { } registers)
        {
            registers.CopyTo(destination);
            return;
        }
        destination = destination[..RegisterCount];
        destination.Clear();
        foreach (var entry in _sparse.AsSpan(0, _sparseCount))
            ApplyDense(entry, destination);
    }

    /// <summary>The sorted, deduplicated sparse entries (empty when dense).</summary>
    internal ReadOnlySpan<uint> SparseEntries()
    {
        if (_sparse is null)
            return default;
        Compact();
        return _sparse.AsSpan(0, _sparseCount);
    }
}

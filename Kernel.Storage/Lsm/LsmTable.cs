using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Lsm;

/// <summary>
/// Typed access to an <see cref="LsmStore"/> for unmanaged keys and values, optionally under a
/// key prefix (one store can hold several tables). Keys are encoded by <see cref="LsmKeyEncoding"/>
/// (integers big-endian, so scans and range deletes follow numeric order); values are stored as
/// their raw bytes. Encoding uses the stack: no allocation per call.
/// </summary>
public readonly struct LsmTable<TKey, TValue> where TKey : unmanaged where TValue : unmanaged
{
    private const int MaxPrefix = 64;
    private readonly LsmStore _store;
    private readonly byte[] _prefix;

    /// <summary>Views <paramref name="store"/> as a table of <typeparamref name="TKey"/> to <typeparamref name="TValue"/> under <paramref name="prefix"/>.</summary>
    public LsmTable(LsmStore store, ReadOnlySpan<byte> prefix = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (prefix.Length > MaxPrefix) throw new ArgumentOutOfRangeException(nameof(prefix), prefix.Length, $"a table prefix is at most {MaxPrefix} bytes");
        _store = store;
        _prefix = prefix.ToArray();
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>.</summary>
    public void Put(TKey key, TValue value)
    {
        Span<byte> k = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        _store.Put(Encode(key, k), MemoryMarshal.AsBytes(new ReadOnlySpan<TValue>(in value)));
    }

    /// <summary>Reads the value of <paramref name="key"/>.</summary>
    public bool TryGet(TKey key, out TValue value, LsmSnapshot? snapshot = null)
    {
        Span<byte> k = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        // The copying read: allocation-free even when the store outgrows its block cache.
        value = default;
        var destination = MemoryMarshal.AsBytes(new Span<TValue>(ref value));
        if (_store.Get(Encode(key, k), destination, snapshot) == destination.Length) return true;
        value = default;
        return false;
    }

    /// <summary>Deletes <paramref name="key"/>.</summary>
    public void Delete(TKey key)
    {
        Span<byte> k = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        _store.Delete(Encode(key, k));
    }

    /// <summary>Deletes every key in [<paramref name="start"/>, <paramref name="end"/>) at once.</summary>
    public void DeleteRange(TKey start, TKey end)
    {
        Span<byte> a = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        Span<byte> b = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        _store.DeleteRange(Encode(start, a), Encode(end, b));
    }

    /// <summary>A cursor over the keys in [<paramref name="start"/>, <paramref name="end"/>); decode keys with <see cref="KeyOf"/>.</summary>
    public LsmIterator CreateRangeIterator(TKey start, TKey end, LsmSnapshot? snapshot = null)
    {
        Span<byte> a = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        Span<byte> b = stackalloc byte[MaxPrefix + Unsafe.SizeOf<TKey>()];
        return _store.CreateRangeIterator(Encode(start, a), Encode(end, b), snapshot);
    }

    /// <summary>The typed key of an iterator position of this table.</summary>
    public TKey KeyOf(ReadOnlySpan<byte> storeKey) => LsmKeyEncoding.Read<TKey>(storeKey[_prefix.Length..]);

    /// <summary>The typed value of an iterator position.</summary>
    public static TValue ValueOf(ReadOnlySpan<byte> storeValue) => MemoryMarshal.Read<TValue>(storeValue);

    private ReadOnlySpan<byte> Encode(TKey key, Span<byte> buffer)
    {
        _prefix.CopyTo(buffer);
        var n = LsmKeyEncoding.Write(key, buffer[_prefix.Length..]);
        return buffer[..(_prefix.Length + n)];
    }
}

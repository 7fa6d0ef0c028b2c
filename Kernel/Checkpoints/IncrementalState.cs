using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;

namespace Kernel.Checkpoints;

/// <summary>
/// Reads an incremental checkpoint back: the operator's metadata file (<c>&lt;name&gt;.meta</c>, format in
/// <c>WindowedAggregator.Incremental.cs</c>, or <c>KeyedSnapshotFormat.cs</c> for an unwindowed aggregation) and its entries in the LSM store (keys in
/// <see cref="IncrementalKeys"/>) are joined into the operator snapshot format (version 3; 2 from version 1 metadata), which the
/// operator restores as it restores a full snapshot and a savepoint stores as it is.
/// </summary>
internal static class IncrementalState
{
    public const string MetadataSuffix = ".meta";
    public const string LsmSuffix = ".lsm";

    private const uint MetadataMagic = 0x4941574B;   // "KWAI"
    private const uint SnapshotMagic = 0x4741574B;   // "KWAG"
    private const int HeaderSizeV1 = 76;   // metadata v1 / snapshot v2; v2 / v3 add the revision-bucket count at +76

    /// <summary>Builds the full operator snapshot from <paramref name="metadata"/> and the entries under <paramref name="prefix"/> in <paramref name="store"/>.</summary>
    /// <exception cref="InvalidDataException">The metadata is damaged, or the store's entries do not match the windows it lists (<paramref name="what"/> names both in the message).</exception>
    public static byte[] ToFullSnapshot(ReadOnlySpan<byte> metadata, LsmStore store, byte[] prefix, string what)
    {
        // An unwindowed keyed aggregation's metadata ("KKAI") rebuilds its own snapshot format.
        if (metadata.Length >= 4 && BinaryPrimitives.ReadUInt32LittleEndian(metadata) == Kernel.Operators.KeyedSnapshotFormat.MetadataMagic)
            return Kernel.Operators.KeyedSnapshotFormat.FromIncremental(metadata, store, prefix, what);
        if (metadata.Length < HeaderSizeV1 + 4) Bad(what, 0, $"{metadata.Length} bytes is shorter than the {HeaderSizeV1 + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(metadata) != MetadataMagic) Bad(what, 0, "magic is not \"KWAI\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(metadata[4..]);
        if (version is not (1 or 2)) Bad(what, 4, $"version {version} is not supported (expected 1 or 2; a later build wrote it)");
        var headerSize = version == 1 ? HeaderSizeV1 : HeaderSizeV1 + 4;
        if (metadata.Length < headerSize + 4) Bad(what, 0, $"{metadata.Length} bytes is shorter than the {headerSize + 4}-byte minimum of version {version}");
        var bodyEnd = metadata.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(metadata[bodyEnd..]) != Crc32C.Compute(metadata[..bodyEnd])) Bad(what, bodyEnd, "CRC-32C does not match the content");
        var sources = BinaryPrimitives.ReadInt32LittleEndian(metadata[56..]);
        var panes = BinaryPrimitives.ReadInt32LittleEndian(metadata[60..]);
        var fired = BinaryPrimitives.ReadInt32LittleEndian(metadata[64..]);
        var keySize = BinaryPrimitives.ReadInt32LittleEndian(metadata[68..]);
        var stateSize = BinaryPrimitives.ReadInt32LittleEndian(metadata[72..]);
        var revs = version == 1 ? 0 : BinaryPrimitives.ReadInt32LittleEndian(metadata[76..]);
        if (sources < 0 || panes < 0 || fired < 0 || revs < 0 || keySize < 0 || stateSize < 0
            || headerSize + (long)sources * 16 + ((long)panes + fired + revs) * 20 != bodyEnd)
            Bad(what, 56, $"{sources} sources and {(long)panes + fired + revs} windows do not fill the {bodyEnd} bytes of body");
        var buckets = panes + fired + revs;
        var listAt = headerSize + sources * 16;
        var entrySize = keySize + stateSize + 5;
        var index = new Dictionary<(long, long), int>(buckets);
        var dataAt = new long[buckets];
        var filled = new int[buckets];
        var counts = new int[buckets];
        long total = listAt;
        for (var i = 0; i < buckets; i++)
        {
            var at = listAt + i * 20;
            var start = BinaryPrimitives.ReadInt64LittleEndian(metadata[at..]);
            var end = BinaryPrimitives.ReadInt64LittleEndian(metadata[(at + 8)..]);
            counts[i] = BinaryPrimitives.ReadInt32LittleEndian(metadata[(at + 16)..]);
            if (counts[i] < 0 || !index.TryAdd((start, end), i)) Bad(what, at, $"window {i} [{start}, {end}) with {counts[i]} entries is negative or listed twice");
            dataAt[i] = total + 20;
            total += 20 + (long)counts[i] * entrySize;
        }
        total += 4;
        if (total > Array.MaxLength) Bad(what, 60, $"a snapshot of {total} bytes exceeds the largest array");
        var snapshot = new byte[total];
        metadata[..listAt].CopyTo(snapshot);
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot, SnapshotMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(snapshot.AsSpan(4), (ushort)(version + 1));
        for (var i = 0; i < buckets; i++)
        {
            var at = (int)dataAt[i] - 20;
            metadata.Slice(listAt + i * 20, 20).CopyTo(snapshot.AsSpan(at));
        }

        var keyLength = prefix.Length + IncrementalKeys.BucketIdSize + keySize;
        using (var it = store.CreatePrefixIterator(prefix))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var key = it.Key;
                var value = it.Value;
                var (start, end) = IncrementalKeys.ReadBucketId(key[prefix.Length..]);
                if (key.Length != keyLength || value.Length != stateSize + 5)
                    BadStore(what, $"an entry of window [{start}, {end}) has a {key.Length}-byte key and a {value.Length}-byte value (expected {keyLength} and {stateSize + 5})");
                if (!index.TryGetValue((start, end), out var b))
                    BadStore(what, $"holds entries of window [{start}, {end}), which the metadata does not list");
                if (filled[b] == counts[b]) BadStore(what, $"holds more than the {counts[b]} entries the metadata lists for window [{start}, {end})");
                var at = (int)(dataAt[b] + (long)filled[b] * entrySize);
                key[(prefix.Length + IncrementalKeys.BucketIdSize)..].CopyTo(snapshot.AsSpan(at));
                value.CopyTo(snapshot.AsSpan(at + keySize));
                filled[b]++;
            }
        }
        for (var i = 0; i < buckets; i++)
            if (filled[i] != counts[i]) BadStore(what, $"holds {filled[i]} entries of window {i}, the metadata lists {counts[i]}");
        var bodyLength = snapshot.Length - 4;
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(bodyLength), Crc32C.Compute(snapshot.AsSpan(0, bodyLength)));
        return snapshot;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void Bad(string what, int offset, string reason) =>
        throw new InvalidDataException($"{what}: operator metadata at offset {offset}: {reason}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void BadStore(string what, string reason) =>
        throw new InvalidDataException($"{what}: the LSM checkpoint {reason}");
}

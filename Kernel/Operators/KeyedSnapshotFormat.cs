using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm;

namespace Kernel.Operators;

// The unwindowed keyed operator's state formats (KeyedAggregator), little-endian.
//
// Operator snapshot "KKAG", version 1 (a full snapshot: checkpoints without incremental mode, savepoints):
//  +0  4  magic "KKAG"   +4 2 version (1)   +6 2 flags (0)   +8 8 state fingerprint
//  +16 8  last in-band watermark   +24 8 events seen
//  +32 4  key size K   +36 4 aggregate size A   +40 4 entry count N   +44 4 reserved (0)
//  +48 N× key (K), aggregate (A)      — raw unmanaged layout, in no particular order
//  end−4 4 CRC-32C of every byte before it
//  [a spec with sketches appends its side state after it: SideStateSnapshot]
//
// Incremental metadata "KKAI", version 1: the same 48-byte header (N counts the entries in the LSM store,
// in memory or spilled) and the CRC, without entries. The entries live in the store under
// IncrementalKeys' keys, all in the one bucket [0, 0) (the table), each value the aggregate's A bytes.
// A savepoint (or a participant not in incremental mode) rebuilds the snapshot from the two: the header
// with the magic changed, then the store's entries in key order.
internal static class KeyedSnapshotFormat
{
    public const uint SnapshotMagic = 0x47414B4B;     // "KKAG"
    public const uint MetadataMagic = 0x49414B4B;     // "KKAI"
    public const ushort Version = 1;
    public const int HeaderSize = 48;

    /// <summary>The bucket id of the (single) table in the store: the operator has no windows.</summary>
    public const long Bucket = 0;

    /// <summary>Writes the 48-byte header (magic chosen by the caller) into <paramref name="span"/>.</summary>
    public static void WriteHeader(Span<byte> span, uint magic, ulong fingerprint, long watermark, long eventsSeen, int keySize, int stateSize, int count)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(span, magic);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], Version);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], 0);
        BinaryPrimitives.WriteUInt64LittleEndian(span[8..], fingerprint);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], watermark);
        BinaryPrimitives.WriteInt64LittleEndian(span[24..], eventsSeen);
        BinaryPrimitives.WriteInt32LittleEndian(span[32..], keySize);
        BinaryPrimitives.WriteInt32LittleEndian(span[36..], stateSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], count);
        BinaryPrimitives.WriteInt32LittleEndian(span[44..], 0);
    }

    /// <summary>
    /// Checks a header of <paramref name="magic"/> and the CRC of <paramref name="data"/> (whose body ends
    /// 4 bytes before its end), and returns the entry count. With <paramref name="withEntries"/> the
    /// entries must fill the body exactly; without (the metadata) the body is the header alone. Sizes and
    /// fingerprint of this build are checked when given (≥ 0 / non-null).
    /// </summary>
    /// <exception cref="InvalidDataException">Names <paramref name="what"/>, the offset and the reason.</exception>
    public static int CheckHeader(ReadOnlySpan<byte> data, uint magic, string name, string what, ulong? fingerprint, int keySize, int stateSize, bool withEntries)
    {
        if (data.Length < HeaderSize + 4) Bad(what, 0, $"{data.Length} bytes is shorter than the {HeaderSize + 4}-byte minimum");
        if (BinaryPrimitives.ReadUInt32LittleEndian(data) != magic) Bad(what, 0, $"magic is not \"{MagicText(magic)}\"");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != Version) Bad(what, 4, $"version {version} is not supported (expected {Version})");
        var bodyEnd = data.Length - 4;
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[bodyEnd..]) != Crc32C.Compute(data[..bodyEnd])) Bad(what, bodyEnd, "CRC-32C does not match the content");
        var written = BinaryPrimitives.ReadUInt64LittleEndian(data[8..]);
        if (fingerprint is { } expected && written != expected)
            Bad(what, 8, $"state fingerprint 0x{written:X16} differs from this build's 0x{expected:X16} (the state schema of aggregation '{name}' changed)");
        var k = BinaryPrimitives.ReadInt32LittleEndian(data[32..]);
        var a = BinaryPrimitives.ReadInt32LittleEndian(data[36..]);
        if (keySize >= 0 && k != keySize) Bad(what, 32, $"key size {k} differs from this build's {keySize} (the key type changed)");
        if (stateSize >= 0 && a != stateSize) Bad(what, 36, $"aggregate size {a} differs from this build's {stateSize}");
        if (k <= 0 || a < 0) Bad(what, 32, $"key size {k} and aggregate size {a} are not valid");
        var count = BinaryPrimitives.ReadInt32LittleEndian(data[40..]);
        var body = withEntries ? HeaderSize + (long)count * (k + a) : HeaderSize;
        if (count < 0 || body != bodyEnd) Bad(what, 40, $"{count} entries do not fit the {bodyEnd} bytes of body");
        return count;
    }

    /// <summary>
    /// Builds the "KKAG" snapshot from "KKAI" <paramref name="metadata"/> and the entries under
    /// <paramref name="prefix"/> in <paramref name="store"/> (savepoints; a participant not in incremental mode).
    /// </summary>
    /// <exception cref="InvalidDataException">The metadata is damaged, or the store does not hold exactly the entries it counts.</exception>
    public static byte[] FromIncremental(ReadOnlySpan<byte> metadata, LsmStore store, byte[] prefix, string what)
    {
        var count = CheckHeader(metadata, MetadataMagic, "?", what, null, -1, -1, withEntries: false);
        var keySize = BinaryPrimitives.ReadInt32LittleEndian(metadata[32..]);
        var stateSize = BinaryPrimitives.ReadInt32LittleEndian(metadata[36..]);
        var entrySize = keySize + stateSize;
        var total = HeaderSize + (long)count * entrySize + 4;
        if (total > Array.MaxLength) Bad(what, 40, $"a snapshot of {total} bytes exceeds the largest array");
        var snapshot = new byte[total];
        metadata[..HeaderSize].CopyTo(snapshot);
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot, SnapshotMagic);
        var keyAt = prefix.Length + IncrementalKeys.BucketIdSize;
        var at = HeaderSize;
        var found = 0;
        using (var it = store.CreatePrefixIterator(prefix))
        {
            for (it.SeekToFirst(); it.Valid; it.Next())
            {
                var key = it.Key;
                var value = it.Value;
                CheckEntry(key, value, prefix.Length, keySize, stateSize, what);
                if (found == count) BadStore(what, $"holds more than the {count} entries the metadata lists");
                key[keyAt..].CopyTo(snapshot.AsSpan(at));
                value.CopyTo(snapshot.AsSpan(at + keySize));
                at += entrySize;
                found++;
            }
        }
        if (found != count) BadStore(what, $"holds {found} entries, the metadata lists {count}");
        BinaryPrimitives.WriteUInt32LittleEndian(snapshot.AsSpan(at), Crc32C.Compute(snapshot.AsSpan(0, at)));
        return snapshot;
    }

    /// <summary>Checks one store entry of the table: its length, and that it is in the table's bucket.</summary>
    public static void CheckEntry(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, int prefixLength, int keySize, int stateSize, string what)
    {
        if (key.Length != prefixLength + IncrementalKeys.BucketIdSize + keySize || value.Length != stateSize)
            BadStore(what, $"has an entry with a {key.Length}-byte key and a {value.Length}-byte value (expected {prefixLength + IncrementalKeys.BucketIdSize + keySize} and {stateSize})");
        var id = IncrementalKeys.ReadBucketId(key[prefixLength..]);
        if (id != (Bucket, Bucket)) BadStore(what, $"has an entry of window [{id.Start}, {id.End}); an unwindowed aggregation keeps one table, [{Bucket}, {Bucket})");
    }

    private static string MagicText(uint magic) =>
        string.Create(4, magic, static (span, m) =>
        {
            for (var i = 0; i < 4; i++) span[i] = (char)((m >> (8 * i)) & 0xFF);
        });

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Bad(string what, int offset, string reason) =>
        throw new InvalidDataException($"{what}: operator metadata at offset {offset}: {reason}");

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void BadStore(string what, string reason) =>
        throw new InvalidDataException($"{what}: the LSM checkpoint {reason}");
}

using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Native;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Versions;

/// <summary>
/// The manifest: the list of live tables per level, the live range tombstones and the counters.
/// It is a snapshot followed by a log of edits. Each change of version (flush, compaction)
/// appends one edit record (tables added and removed, tombstones added and removed, counters)
/// and fsyncs it; a record is the unit of atomicity (one CRC over it). When the edits outgrow
/// the snapshot, a new snapshot is written to <c>MANIFEST.tmp</c>, fsynced and renamed over
/// <c>MANIFEST</c> (then the directory is fsynced), so a crash leaves the old or the new file,
/// never a mix. A record cut short or garbled at the very end of the file (a crash while
/// appending) is a torn tail: it is ignored and cut off, and the store opens at the edit before.
/// Damage anywhere else is an <see cref="LsmCorruptionException"/> with the record's offset.
/// <code>
/// +----------------+--------------------+------------------------+-------------------+
/// | magic u64      | format version u32 | snapshot records u32   | CRC-32C u32 [0,16)|   header, 20 bytes
/// | "KLSMMANI"     | (= 2; 1 = no edits)|                        |                   |
/// +----------------+--------------------+------------------------+-------------------+
/// | length u32 | CRC-32C u32 of payload | payload (length bytes)            |   snapshot record x count
/// | length u32 | CRC-32C u32 of payload | payload (length bytes)            |   edit record x n (to the end)
/// +------------------------------------------------------------------------+
/// payload = type u8, then
///   1 meta      : next file u64 | last sequence u64 | WAL number u64
///   2 table     : level u8 | file number u64 | bytes u64 | entries u64 | min seq u64 | max seq u64
///                 | smallest len u32 | smallest key | largest len u32 | largest key
///   3 tombstone : sequence u64 | start len u32 | start key | end len u32 | end key
///   4 edit      : next file u64 | last sequence u64 | WAL number u64
///                 | removed tables u32 | file number u64 x n
///                 | added tables u32   | (table payload without its type byte) x n
///                 | removed tombstones u32 | sequence u64 x n
///                 | added tombstones u32   | (tombstone payload without its type byte) x n
/// </code>
/// </summary>
internal static class Manifest
{
    public const ulong Magic = 0x494E414D4D534C4BUL; // "KLSMMANI" little-endian
    public const uint FormatVersion = 2;
    private const uint FirstFormatVersion = 1;   // same snapshot layout, never followed by edits
    internal const int HeaderBytes = 20;
    private const int MaxEditBytes = 64 << 20;   // an edit names a few tables; a longer length field is damage, not a torn tail
    private const byte MetaRecord = 1, TableRecord = 2, TombstoneRecord = 3, EditRecord = 4;

    /// <summary>Reads the manifest of <paramref name="dir"/>; null when the store is new.</summary>
    public static ManifestData? Read(string dir) => Read(dir, out _);

    /// <summary>Reads the snapshot and applies every whole edit after it; <paramref name="log"/> says where the valid part ends.</summary>
    public static ManifestData? Read(string dir, out ManifestLogState log)
    {
        log = default;
        var path = Path.Combine(dir, FileNames.Manifest);
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes) LsmThrow.Corruption(path, 0, $"manifest of {bytes.Length} bytes is shorter than its header");
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (magic != Magic) LsmThrow.Corruption(path, 0, $"not an LSM manifest: magic 0x{magic:X16}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)) != Crc32C.Compute(bytes.AsSpan(0, 16)))
            LsmThrow.Corruption(path, 0, "manifest header checksum mismatch");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version is not (FormatVersion or FirstFormatVersion))
            LsmThrow.Format($"{path}: manifest format version {version}, this build reads versions {FirstFormatVersion} and {FormatVersion}");
        var count = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12));
        var data = new ManifestData();
        var pos = HeaderBytes;
        for (var i = 0; i < count; i++)
        {
            if (pos + 8 > bytes.Length) LsmThrow.Corruption(path, pos, $"manifest truncated: record {i} of {count} missing");
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos));
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 4));
            if (length < 1 || pos + 8L + length > bytes.Length) LsmThrow.Corruption(path, pos, $"manifest record {i} has bad length {length}");
            var payload = bytes.AsSpan(pos + 8, length);
            if (Crc32C.Compute(payload) != crc) LsmThrow.Corruption(path, pos, $"manifest record {i} checksum mismatch");
            ReadRecord(payload, data, path, pos);
            pos += 8 + length;
        }
        var snapshotBytes = pos;
        var edits = 0;
        while (pos < bytes.Length)
        {
            if (version == FirstFormatVersion) LsmThrow.Corruption(path, pos, "manifest has bytes after its last record");
            var at = pos;
            var length = bytes.Length - pos >= 8 ? BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(pos)) : -1;
            if (length > MaxEditBytes) LsmThrow.Corruption(path, at, $"manifest edit {edits} has bad length {length}");
            var whole = length >= 1 && pos + 8L + length <= bytes.Length;
            if (!whole || Crc32C.Compute(bytes.AsSpan(pos + 8, length)) != BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(pos + 4)))
            {
                // A crash while appending leaves the last record short or garbled (or zero-filled
                // to the end): ignore it. A bad record with anything after it is damage.
                if (!whole || pos + 8L + length == bytes.Length || bytes.AsSpan(pos).IndexOfAnyExcept((byte)0) < 0)
                {
                    log = new ManifestLogState(pos, bytes.Length - pos, snapshotBytes, edits);
                    return data;
                }
                LsmThrow.Corruption(path, at, $"manifest edit {edits} checksum mismatch");
            }
            var payload = bytes.AsSpan(pos + 8, length);
            if (payload[0] != EditRecord) LsmThrow.Corruption(path, at, $"manifest edit {edits} has record type {payload[0]}");
            ApplyEdit(payload, data, path, at);
            pos += 8 + length;
            edits++;
        }
        log = new ManifestLogState(pos, 0, snapshotBytes, edits);
        return data;
    }

    /// <summary>Writes <paramref name="data"/> as the new manifest of <paramref name="dir"/>, atomically and durably.</summary>
    /// <returns>The bytes written (the snapshot's size).</returns>
    public static long Write(string dir, ManifestData data)
    {
        var records = new List<byte[]>();
        var meta = new byte[25];
        meta[0] = MetaRecord;
        WriteMeta(meta.AsSpan(1), data.NextFileNumber, data.LastSequence, data.WalNumber);
        records.Add(meta);
        foreach (var (level, t) in data.Tables)
        {
            var r = new byte[1 + TableBytes(t)];
            r[0] = TableRecord;
            WriteTable(r.AsSpan(1), level, t);
            records.Add(r);
        }
        foreach (var t in data.Tombstones)
        {
            var r = new byte[1 + TombstoneBytes(t)];
            r[0] = TombstoneRecord;
            WriteTombstone(r.AsSpan(1), t);
            records.Add(r);
        }
        long written = HeaderBytes;
        var temp = Path.Combine(dir, FileNames.ManifestTemp);
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            Span<byte> header = stackalloc byte[HeaderBytes];
            BinaryPrimitives.WriteUInt64LittleEndian(header, Magic);
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], FormatVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)records.Count);
            BinaryPrimitives.WriteUInt32LittleEndian(header[16..], Crc32C.Compute(header[..16]));
            f.Write(header);
            Span<byte> frame = stackalloc byte[8];
            foreach (var r in records)
            {
                BinaryPrimitives.WriteInt32LittleEndian(frame, r.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Crc32C.Compute(r));
                f.Write(frame);
                f.Write(r);
                written += 8 + r.Length;
            }
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(dir, FileNames.Manifest), overwrite: true);
        PosixFile.SyncDirectory(dir);
        return written;
    }

    /// <summary>Encodes the edit that turns <paramref name="from"/> into <paramref name="to"/> as one framed record (length, CRC, payload).</summary>
    public static byte[] EncodeEdit(ManifestData from, ManifestData to)
    {
        var before = new HashSet<(int, ulong)>(from.Tables.Select(t => (t.Level, t.Table.FileNumber)));
        var after = new HashSet<(int, ulong)>(to.Tables.Select(t => (t.Level, t.Table.FileNumber)));
        var removed = from.Tables.Where(t => !after.Contains((t.Level, t.Table.FileNumber))).Select(t => t.Table.FileNumber).ToList();
        var added = to.Tables.Where(t => !before.Contains((t.Level, t.Table.FileNumber))).ToList();
        var oldStones = from.Tombstones.Select(t => t.Sequence).ToHashSet();
        var newStones = to.Tombstones.Select(t => t.Sequence).ToHashSet();
        var removedStones = from.Tombstones.Where(t => !newStones.Contains(t.Sequence)).Select(t => t.Sequence).ToList();
        var addedStones = to.Tombstones.Where(t => !oldStones.Contains(t.Sequence)).ToList();
        var length = 1 + 24 + 4 + 8 * removed.Count + 4 + added.Sum(t => TableBytes(t.Table)) + 4 + 8 * removedStones.Count + 4 + addedStones.Sum(TombstoneBytes);
        var record = new byte[8 + length];
        var p = record.AsSpan(8);
        p[0] = EditRecord;
        WriteMeta(p[1..], to.NextFileNumber, to.LastSequence, to.WalNumber);
        var pos = 25;
        BinaryPrimitives.WriteInt32LittleEndian(p[pos..], removed.Count);
        pos += 4;
        foreach (var n in removed) { BinaryPrimitives.WriteUInt64LittleEndian(p[pos..], n); pos += 8; }
        BinaryPrimitives.WriteInt32LittleEndian(p[pos..], added.Count);
        pos += 4;
        foreach (var (level, t) in added) pos += WriteTable(p[pos..], level, t);
        BinaryPrimitives.WriteInt32LittleEndian(p[pos..], removedStones.Count);
        pos += 4;
        foreach (var n in removedStones) { BinaryPrimitives.WriteUInt64LittleEndian(p[pos..], n); pos += 8; }
        BinaryPrimitives.WriteInt32LittleEndian(p[pos..], addedStones.Count);
        pos += 4;
        foreach (var t in addedStones) pos += WriteTombstone(p[pos..], t);
        BinaryPrimitives.WriteInt32LittleEndian(record, length);
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(4), Crc32C.Compute(p));
        return record;
    }

    private static void ApplyEdit(ReadOnlySpan<byte> p, ManifestData data, string path, long at)
    {
        try
        {
            data.NextFileNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[1..]);
            data.LastSequence = BinaryPrimitives.ReadUInt64LittleEndian(p[9..]);
            data.WalNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[17..]);
            var pos = 25;
            var n = Count(p, ref pos);
            var removed = new HashSet<ulong>();
            for (var i = 0; i < n; i++, pos += 8) removed.Add(BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]));
            data.Tables.RemoveAll(t => removed.Contains(t.Table.FileNumber));
            n = Count(p, ref pos);
            for (var i = 0; i < n; i++) data.Tables.Add(ReadTable(p, ref pos));
            n = Count(p, ref pos);
            var gone = new HashSet<ulong>();
            for (var i = 0; i < n; i++, pos += 8) gone.Add(BinaryPrimitives.ReadUInt64LittleEndian(p[pos..]));
            data.Tombstones.RemoveAll(t => gone.Contains(t.Sequence));
            n = Count(p, ref pos);
            for (var i = 0; i < n; i++) data.Tombstones.Add(ReadTombstone(p, ref pos));
            if (pos != p.Length) LsmThrow.Corruption(path, at, "manifest edit longer than its fields");
        }
        catch (ArgumentOutOfRangeException)
        {
            LsmThrow.Corruption(path, at, "manifest edit shorter than its fields");
        }
    }

    private static int Count(ReadOnlySpan<byte> p, ref int pos)
    {
        var n = BinaryPrimitives.ReadInt32LittleEndian(p[pos..]);
        pos += 4;
        if (n < 0 || n > p.Length) throw new ArgumentOutOfRangeException(nameof(p));
        return n;
    }

    private static void WriteMeta(Span<byte> s, ulong nextFile, ulong lastSequence, ulong walNumber)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(s, nextFile);
        BinaryPrimitives.WriteUInt64LittleEndian(s[8..], lastSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(s[16..], walNumber);
    }

    private static int TableBytes(TableProperties t) => 1 + 40 + 8 + t.SmallestKey.Length + t.LargestKey.Length;

    private static int WriteTable(Span<byte> r, int level, TableProperties t)
    {
        r[0] = (byte)level;
        var s = r[1..];
        BinaryPrimitives.WriteUInt64LittleEndian(s, t.FileNumber);
        BinaryPrimitives.WriteInt64LittleEndian(s[8..], t.FileBytes);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], t.EntryCount);
        BinaryPrimitives.WriteUInt64LittleEndian(s[24..], t.MinSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(s[32..], t.MaxSequence);
        var p = WriteBytes(s, 40, t.SmallestKey);
        return 1 + WriteBytes(s, p, t.LargestKey);
    }

    private static (int, TableProperties) ReadTable(ReadOnlySpan<byte> r, ref int at)
    {
        int level = r[at];
        var s = r[(at + 1)..];
        var pos = 40;
        var smallest = ReadBytes(s, ref pos);
        var largest = ReadBytes(s, ref pos);
        at += 1 + pos;
        return (level, new TableProperties(
            BinaryPrimitives.ReadUInt64LittleEndian(s), BinaryPrimitives.ReadInt64LittleEndian(s[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[16..]), smallest, largest,
            BinaryPrimitives.ReadUInt64LittleEndian(s[24..]), BinaryPrimitives.ReadUInt64LittleEndian(s[32..])));
    }

    private static int TombstoneBytes(RangeTombstone t) => 8 + 8 + t.Start.Length + t.End.Length;

    private static int WriteTombstone(Span<byte> r, RangeTombstone t)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(r, t.Sequence);
        var p = WriteBytes(r, 8, t.Start);
        return WriteBytes(r, p, t.End);
    }

    private static RangeTombstone ReadTombstone(ReadOnlySpan<byte> r, ref int at)
    {
        var sequence = BinaryPrimitives.ReadUInt64LittleEndian(r[at..]);
        var pos = at + 8;
        var start = ReadBytes(r, ref pos);
        var end = ReadBytes(r, ref pos);
        at = pos;
        return new RangeTombstone(start, end, sequence);
    }

    private static void ReadRecord(ReadOnlySpan<byte> p, ManifestData data, string path, long at)
    {
        try
        {
            switch (p[0])
            {
                case MetaRecord:
                    data.NextFileNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[1..]);
                    data.LastSequence = BinaryPrimitives.ReadUInt64LittleEndian(p[9..]);
                    data.WalNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[17..]);
                    break;
                case TableRecord:
                {
                    var pos = 1;
                    data.Tables.Add(ReadTable(p, ref pos));
                    break;
                }
                case TombstoneRecord:
                {
                    var pos = 1;
                    data.Tombstones.Add(ReadTombstone(p, ref pos));
                    break;
                }
                default:
                    LsmThrow.Corruption(path, at, $"manifest record of unknown type {p[0]}");
                    break;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            LsmThrow.Corruption(path, at, "manifest record shorter than its fields");
        }
    }

    private static int WriteBytes(Span<byte> s, int pos, byte[] value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(s[pos..], value.Length);
        value.CopyTo(s[(pos + 4)..]);
        return pos + 4 + value.Length;
    }

    private static byte[] ReadBytes(ReadOnlySpan<byte> s, ref int pos)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(s[pos..]);
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(s));
        var value = s.Slice(pos + 4, length).ToArray();
        pos += 4 + length;
        return value;
    }
}

/// <summary>Where a manifest's valid part ends: the store appends its next edit there.</summary>
/// <param name="ValidBytes">Bytes of the snapshot and the whole edits.</param>
/// <param name="TornTailBytes">Bytes of a torn last record that were ignored (0 when none).</param>
/// <param name="SnapshotBytes">Bytes of the header and snapshot records.</param>
/// <param name="Edits">Edit records applied after the snapshot.</param>
internal readonly record struct ManifestLogState(long ValidBytes, long TornTailBytes, long SnapshotBytes, int Edits);

using System.Buffers.Binary;
using Kernel.Storage.Common;
using Kernel.Storage.Lsm.Memory;
using Kernel.Storage.Lsm.Native;
using Kernel.Storage.Lsm.Tables;

namespace Kernel.Storage.Lsm.Versions;

/// <summary>
/// The manifest: the list of live tables per level, the live range tombstones and the counters.
/// Every change of version writes a whole new manifest to <c>MANIFEST.tmp</c>, fsyncs it and
/// renames it over <c>MANIFEST</c> (then fsyncs the directory), so a crash leaves either the old
/// or the new version, never a mix. Tables are immutable: a version names files, never edits them.
/// <code>
/// +----------------+--------------------+-----------------+-------------------+
/// | magic u64      | format version u32 | record count u32| CRC-32C u32 [0,16)|   header, 20 bytes
/// | "KLSMMANI"     |                    |                 |                   |
/// +----------------+--------------------+-----------------+-------------------+
/// | length u32 | CRC-32C u32 of payload | payload (length bytes)            |   record x count
/// +------------------------------------------------------------------------+
/// payload = type u8, then
///   1 meta      : next file u64 | last sequence u64 | WAL number u64
///   2 table     : level u8 | file number u64 | bytes u64 | entries u64 | min seq u64 | max seq u64
///                 | smallest len u32 | smallest key | largest len u32 | largest key
///   3 tombstone : sequence u64 | start len u32 | start key | end len u32 | end key
/// </code>
/// </summary>
internal static class Manifest
{
    public const ulong Magic = 0x494E414D4D534C4BUL; // "KLSMMANI" little-endian
    public const uint FormatVersion = 1;
    private const int HeaderBytes = 20;

    /// <summary>Reads the manifest of <paramref name="dir"/>; null when the store is new.</summary>
    public static ManifestData? Read(string dir)
    {
        var path = Path.Combine(dir, FileNames.Manifest);
        if (!File.Exists(path)) return null;
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes) LsmThrow.Corruption(path, 0, $"manifest of {bytes.Length} bytes is shorter than its header");
        var magic = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (magic != Magic) LsmThrow.Corruption(path, 0, $"not an LSM manifest: magic 0x{magic:X16}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(16)) != Crc32C.Compute(bytes.AsSpan(0, 16)))
            LsmThrow.Corruption(path, 0, "manifest header checksum mismatch");
        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (version != FormatVersion) LsmThrow.Format($"{path}: manifest format version {version}, this build reads version {FormatVersion}");
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
        if (pos != bytes.Length) LsmThrow.Corruption(path, pos, "manifest has bytes after its last record");
        return data;
    }

    /// <summary>Writes <paramref name="data"/> as the new manifest of <paramref name="dir"/>, atomically and durably.</summary>
    public static void Write(string dir, ManifestData data)
    {
        var records = new List<byte[]>();
        var meta = new byte[25];
        meta[0] = 1;
        BinaryPrimitives.WriteUInt64LittleEndian(meta.AsSpan(1), data.NextFileNumber);
        BinaryPrimitives.WriteUInt64LittleEndian(meta.AsSpan(9), data.LastSequence);
        BinaryPrimitives.WriteUInt64LittleEndian(meta.AsSpan(17), data.WalNumber);
        records.Add(meta);
        foreach (var (level, t) in data.Tables)
        {
            var r = new byte[1 + 1 + 40 + 8 + t.SmallestKey.Length + t.LargestKey.Length];
            r[0] = 2;
            r[1] = (byte)level;
            var s = r.AsSpan(2);
            BinaryPrimitives.WriteUInt64LittleEndian(s, t.FileNumber);
            BinaryPrimitives.WriteInt64LittleEndian(s[8..], t.FileBytes);
            BinaryPrimitives.WriteInt64LittleEndian(s[16..], t.EntryCount);
            BinaryPrimitives.WriteUInt64LittleEndian(s[24..], t.MinSequence);
            BinaryPrimitives.WriteUInt64LittleEndian(s[32..], t.MaxSequence);
            var p = WriteBytes(s, 40, t.SmallestKey);
            WriteBytes(s, p, t.LargestKey);
            records.Add(r);
        }
        foreach (var t in data.Tombstones)
        {
            var r = new byte[1 + 8 + 8 + t.Start.Length + t.End.Length];
            r[0] = 3;
            BinaryPrimitives.WriteUInt64LittleEndian(r.AsSpan(1), t.Sequence);
            var p = WriteBytes(r, 9, t.Start);
            WriteBytes(r, p, t.End);
            records.Add(r);
        }
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
            }
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, Path.Combine(dir, FileNames.Manifest), overwrite: true);
        PosixFile.SyncDirectory(dir);
    }

    private static void ReadRecord(ReadOnlySpan<byte> p, ManifestData data, string path, long at)
    {
        try
        {
            switch (p[0])
            {
                case 1:
                    data.NextFileNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[1..]);
                    data.LastSequence = BinaryPrimitives.ReadUInt64LittleEndian(p[9..]);
                    data.WalNumber = BinaryPrimitives.ReadUInt64LittleEndian(p[17..]);
                    break;
                case 2:
                {
                    int level = p[1];
                    var s = p[2..];
                    var pos = 40;
                    var smallest = ReadBytes(s, ref pos);
                    var largest = ReadBytes(s, ref pos);
                    data.Tables.Add((level, new TableProperties(
                        BinaryPrimitives.ReadUInt64LittleEndian(s), BinaryPrimitives.ReadInt64LittleEndian(s[8..]),
                        BinaryPrimitives.ReadInt64LittleEndian(s[16..]), smallest, largest,
                        BinaryPrimitives.ReadUInt64LittleEndian(s[24..]), BinaryPrimitives.ReadUInt64LittleEndian(s[32..]))));
                    break;
                }
                case 3:
                {
                    var pos = 9;
                    var start = ReadBytes(p, ref pos);
                    var end = ReadBytes(p, ref pos);
                    data.Tombstones.Add(new RangeTombstone(start, end, BinaryPrimitives.ReadUInt64LittleEndian(p[1..])));
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
        var value = s.Slice(pos + 4, length).ToArray();
        pos += 4 + length;
        return value;
    }
}

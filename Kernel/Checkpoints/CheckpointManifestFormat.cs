using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Kernel.Storage.Common;

namespace Kernel.Checkpoints;

/// <summary>
/// Writes and reads the binary manifest file. Every integer is little-endian.
/// <code>
///  offset   size  field
///  ------   ----  ------------------------------------------------------------
///       0      4  magic "KCKP"  (0x4B 0x43 0x4B 0x50)
///       4      2  format version (1)
///       6      2  reserved, 0
///       8      4  body length B
///      12      B  body
///    12+B      4  CRC-32C of bytes [0, 12+B)  (header and body)
///  file length = 16 + B exactly; anything else is a torn or padded file
///
///  body:
///  +--------------------------------------------------------------+
///  | i64 checkpoint id   | i64 ring sequence S | i64 journal offset|
///  | i64 created, Unix ms UTC                                     |
///  | i64 duration ticks  | i64 pause ticks                        |
///  | i64 bytes written   | i64 keys written                       |
///  | str LSM checkpoint directory name                            |
///  | u32 n, n x { i32 source id, i64 position }    (by id)        |
///  | u32 n, n x { str sink name, i64 epoch }       (ordinal)      |
///  | u32 n, n x { str aggregation, u64 fingerprint } (ordinal)    |
///  +--------------------------------------------------------------+
///  str = u16 byte count, then UTF-8 bytes
/// </code>
/// The checksum is verified before any body field is trusted; a reader rejects an unknown version.
/// </summary>
internal static class CheckpointManifestFormat
{
    /// <summary>"KCKP" read as a little-endian u32.</summary>
    public const uint Magic = 0x504B434B;

    /// <summary>The version this code writes and reads.</summary>
    public const ushort Version = 1;

    /// <summary>Magic, version, reserved, body length.</summary>
    public const int HeaderSize = 12;

    /// <summary>The CRC after the body.</summary>
    public const int TrailerSize = 4;

    /// <summary>The complete file image of <paramref name="manifest"/>.</summary>
    public static byte[] Serialize(CheckpointManifest manifest)
    {
        var body = new ArrayBufferWriter<byte>(256);
        PutInt64(body, manifest.CheckpointId);
        PutInt64(body, manifest.RingSequence);
        PutInt64(body, manifest.JournalOffset);
        PutInt64(body, manifest.CreatedUtc.ToUnixTimeMilliseconds());
        PutInt64(body, manifest.Stats.Duration.Ticks);
        PutInt64(body, manifest.Stats.Pause.Ticks);
        PutInt64(body, manifest.Stats.BytesWritten);
        PutInt64(body, manifest.Stats.KeysWritten);
        PutString(body, manifest.LsmCheckpoint, "LSM checkpoint");

        var sources = manifest.SourcePositions.OrderBy(p => p.Key).ToArray();
        PutUInt32(body, (uint)sources.Length);
        foreach (var (id, position) in sources)
        {
            BinaryPrimitives.WriteInt32LittleEndian(body.GetSpan(4), id);
            body.Advance(4);
            PutInt64(body, position);
        }
        var sinks = manifest.SinkEpochs.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        PutUInt32(body, (uint)sinks.Length);
        foreach (var (name, epoch) in sinks)
        {
            PutString(body, name, "sink name");
            PutInt64(body, epoch);
        }
        var schemas = manifest.SchemaFingerprints.OrderBy(p => p.Key, StringComparer.Ordinal).ToArray();
        PutUInt32(body, (uint)schemas.Length);
        foreach (var (name, fingerprint) in schemas)
        {
            PutString(body, name, "aggregation name");
            BinaryPrimitives.WriteUInt64LittleEndian(body.GetSpan(8), fingerprint);
            body.Advance(8);
        }

        var file = new byte[HeaderSize + body.WrittenCount + TrailerSize];
        BinaryPrimitives.WriteUInt32LittleEndian(file, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(4), Version);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(6), 0);
        BinaryPrimitives.WriteInt32LittleEndian(file.AsSpan(8), body.WrittenCount);
        body.WrittenSpan.CopyTo(file.AsSpan(HeaderSize));
        var crcOffset = HeaderSize + body.WrittenCount;
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(crcOffset), Crc32C.Compute(file.AsSpan(0, crcOffset)));
        return file;
    }

    /// <summary>Parses a manifest file image; throws <see cref="CheckpointFormatException"/> naming the field and offset.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="path">The file's path, for messages.</param>
    public static CheckpointManifest Parse(ReadOnlySpan<byte> data, string path)
    {
        if (data.Length < HeaderSize + TrailerSize)
            throw new CheckpointFormatException(path, "header", 0,
                $"the file is {data.Length} bytes, shorter than the {HeaderSize + TrailerSize}-byte minimum (torn write?)");
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(data);
        if (magic != Magic)
            throw new CheckpointFormatException(path, "magic", 0, $"expected 0x{Magic:X8} (\"KCKP\"), found 0x{magic:X8}");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
        if (version != Version)
            throw new CheckpointFormatException(path, "version", 4, $"format version {version} is not supported (this build reads {Version})");
        var bodyLength = BinaryPrimitives.ReadInt32LittleEndian(data[8..]);
        if (bodyLength < 0 || (long)HeaderSize + bodyLength + TrailerSize != data.Length)
            throw new CheckpointFormatException(path, "body length", 8,
                $"says {bodyLength} body bytes, so the file should be {(long)HeaderSize + bodyLength + TrailerSize} bytes, but it is {data.Length} (torn or padded)");
        var crcOffset = HeaderSize + bodyLength;
        var stored = BinaryPrimitives.ReadUInt32LittleEndian(data[crcOffset..]);
        var actual = Crc32C.Compute(data[..crcOffset]);
        if (stored != actual)
            throw new CheckpointFormatException(path, "CRC-32C", crcOffset, $"stored 0x{stored:X8}, computed 0x{actual:X8}: the manifest is corrupt");
        if (data[6] != 0 || data[7] != 0)
            throw new CheckpointFormatException(path, "reserved", 6, "must be 0");

        var reader = new ManifestReader(data[..crcOffset], HeaderSize, path);
        var id = reader.Int64("checkpoint id");
        var sequence = reader.Int64("ring sequence");
        var journal = reader.Int64("journal offset");
        var created = reader.Int64("created");
        var duration = reader.Int64("duration");
        var pause = reader.Int64("pause");
        var bytes = reader.Int64("bytes written");
        var keys = reader.Int64("keys written");
        var lsm = reader.String("LSM checkpoint");

        var sourceCount = reader.Count("source count", 12);
        var sources = new Dictionary<int, long>(sourceCount);
        for (var i = 0; i < sourceCount; i++)
        {
            var offset = reader.Offset;
            var source = reader.Int32("source id");
            if (!sources.TryAdd(source, reader.Int64("source position")))
                throw new CheckpointFormatException(path, "source id", offset, $"source {source} appears twice");
        }
        var sinkCount = reader.Count("sink count", 10);
        var sinks = new Dictionary<string, long>(sinkCount, StringComparer.Ordinal);
        for (var i = 0; i < sinkCount; i++)
        {
            var offset = reader.Offset;
            var name = reader.String("sink name");
            if (!sinks.TryAdd(name, reader.Int64("sink epoch")))
                throw new CheckpointFormatException(path, "sink name", offset, $"sink '{name}' appears twice");
        }
        var schemaCount = reader.Count("schema count", 10);
        var schemas = new Dictionary<string, ulong>(schemaCount, StringComparer.Ordinal);
        for (var i = 0; i < schemaCount; i++)
        {
            var offset = reader.Offset;
            var name = reader.String("aggregation name");
            if (!schemas.TryAdd(name, reader.UInt64("schema fingerprint")))
                throw new CheckpointFormatException(path, "aggregation name", offset, $"aggregation '{name}' appears twice");
        }
        if (reader.Offset != crcOffset)
            throw new CheckpointFormatException(path, "body", reader.Offset, $"{crcOffset - reader.Offset} unread bytes after the last field");
        if (id <= 0)
            throw new CheckpointFormatException(path, "checkpoint id", HeaderSize, $"must be positive, is {id}");

        return new CheckpointManifest
        {
            CheckpointId = id,
            RingSequence = sequence,
            JournalOffset = journal,
            CreatedUtc = DateTimeOffset.FromUnixTimeMilliseconds(created),
            Stats = new CheckpointStats(TimeSpan.FromTicks(duration), TimeSpan.FromTicks(pause), bytes, keys),
            LsmCheckpoint = lsm,
            SourcePositions = sources,
            SinkEpochs = sinks,
            SchemaFingerprints = schemas,
        };
    }

    private static void PutInt64(ArrayBufferWriter<byte> body, long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(body.GetSpan(8), value);
        body.Advance(8);
    }

    private static void PutUInt32(ArrayBufferWriter<byte> body, uint value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(body.GetSpan(4), value);
        body.Advance(4);
    }

    private static void PutString(ArrayBufferWriter<byte> body, string value, string field)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        if (length > ushort.MaxValue)
            throw new ArgumentException($"the manifest's {field} '{value[..40]}…' is {length} UTF-8 bytes; the limit is {ushort.MaxValue}", nameof(value));
        BinaryPrimitives.WriteUInt16LittleEndian(body.GetSpan(2), (ushort)length);
        body.Advance(2);
        body.Advance(Encoding.UTF8.GetBytes(value, body.GetSpan(length)));
    }

    /// <summary>A bounds-checked cursor over the body that names the field and offset in every error.</summary>
    private ref struct ManifestReader
    {
        private readonly ReadOnlySpan<byte> _data;
        private readonly string _path;

        public ManifestReader(ReadOnlySpan<byte> data, int offset, string path)
        {
            _data = data;
            Offset = offset;
            _path = path;
        }

        public int Offset { get; private set; }

        public long Int64(string field) => BinaryPrimitives.ReadInt64LittleEndian(Take(8, field));

        public ulong UInt64(string field) => BinaryPrimitives.ReadUInt64LittleEndian(Take(8, field));

        public int Int32(string field) => BinaryPrimitives.ReadInt32LittleEndian(Take(4, field));

        /// <summary>An element count, checked against the bytes left so a corrupt count cannot allocate a huge dictionary.</summary>
        public int Count(string field, int minElementSize)
        {
            var offset = Offset;
            var count = BinaryPrimitives.ReadUInt32LittleEndian(Take(4, field));
            if (count > (uint)((_data.Length - Offset) / minElementSize))
                throw new CheckpointFormatException(_path, field, offset, $"{count} elements cannot fit in the {_data.Length - Offset} bytes left");
            return (int)count;
        }

        public string String(string field)
        {
            var offset = Offset;
            var length = BinaryPrimitives.ReadUInt16LittleEndian(Take(2, field));
            var bytes = Take(length, field);
            try
            {
                return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                throw new CheckpointFormatException(_path, field, offset, "is not valid UTF-8");
            }
        }

        private ReadOnlySpan<byte> Take(int count, string field)
        {
            if (count > _data.Length - Offset)
                throw new CheckpointFormatException(_path, field, Offset, $"needs {count} bytes but only {_data.Length - Offset} remain in the body");
            var slice = _data.Slice(Offset, count);
            Offset += count;
            return slice;
        }
    }
}

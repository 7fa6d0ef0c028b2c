using System.Buffers.Binary;
using Kernel.Checkpoints;
using Kernel.Storage.Common;

namespace Kernel.Tests.Checkpoints;

public sealed class CheckpointManifestFormatTests
{
    internal static CheckpointManifest Sample(long id = 42) => new()
    {
        CheckpointId = id,
        RingSequence = 123_456_789_012,
        JournalOffset = 987_654_321,
        LsmCheckpoint = "lsm-000042",
        SourcePositions = new Dictionary<int, long> { [3] = 77, [0] = 10, [-1] = long.MaxValue },
        SinkEpochs = new Dictionary<string, long>(StringComparer.Ordinal) { ["revenue.csv"] = id, ["vue-ü"] = id },
        SchemaFingerprints = new Dictionary<string, ulong>(StringComparer.Ordinal) { ["RevenuePerDay"] = 0xDEADBEEFCAFEF00D, ["Counts"] = 1 },
        CreatedUtc = new DateTimeOffset(2026, 11, 30, 10, 0, 0, 123, TimeSpan.Zero),
        Stats = new CheckpointStats(TimeSpan.FromTicks(125_000), TimeSpan.FromTicks(7_000), 4096, 10_000),
    };

    private static void AssertSame(CheckpointManifest expected, CheckpointManifest actual)
    {
        Assert.Equal(expected.CheckpointId, actual.CheckpointId);
        Assert.Equal(expected.RingSequence, actual.RingSequence);
        Assert.Equal(expected.JournalOffset, actual.JournalOffset);
        Assert.Equal(expected.LsmCheckpoint, actual.LsmCheckpoint);
        Assert.Equal(expected.SourcePositions.OrderBy(p => p.Key), actual.SourcePositions.OrderBy(p => p.Key));
        Assert.Equal(expected.SinkEpochs.OrderBy(p => p.Key, StringComparer.Ordinal), actual.SinkEpochs.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.SchemaFingerprints.OrderBy(p => p.Key, StringComparer.Ordinal), actual.SchemaFingerprints.OrderBy(p => p.Key, StringComparer.Ordinal));
        Assert.Equal(expected.CreatedUtc, actual.CreatedUtc);
        Assert.Equal(expected.Stats, actual.Stats);
    }

    [Fact]
    public void Parse_OfSerialize_RoundTripsEveryField()
    {
        var manifest = Sample();
        AssertSame(manifest, CheckpointManifestFormat.Parse(CheckpointManifestFormat.Serialize(manifest), "m"));
    }

    [Fact]
    public void Parse_EmptyMaps_RoundTrip()
    {
        var manifest = new CheckpointManifest { CheckpointId = 1, RingSequence = 0 };
        AssertSame(manifest, CheckpointManifestFormat.Parse(CheckpointManifestFormat.Serialize(manifest), "m"));
    }

    [Fact]
    public void Serialize_StartsWithMagicAndVersion_EndsWithCrcOfTheRest()
    {
        var image = CheckpointManifestFormat.Serialize(Sample());
        Assert.Equal("KCKP"u8.ToArray(), image[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(image.AsSpan(4)));
        Assert.Equal(image.Length - 16, BinaryPrimitives.ReadInt32LittleEndian(image.AsSpan(8)));
        Assert.Equal(Crc32C.Compute(image.AsSpan(0, image.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(image.AsSpan(image.Length - 4)));
    }

    [Fact]
    public void Serialize_DoesNotDependOnInsertionOrder()
    {
        var a = Sample();
        var b = new CheckpointManifest
        {
            CheckpointId = a.CheckpointId,
            RingSequence = a.RingSequence,
            JournalOffset = a.JournalOffset,
            LsmCheckpoint = a.LsmCheckpoint,
            SourcePositions = a.SourcePositions.Reverse().ToDictionary(),
            SinkEpochs = a.SinkEpochs.Reverse().ToDictionary(),
            SchemaFingerprints = a.SchemaFingerprints.Reverse().ToDictionary(),
            CreatedUtc = a.CreatedUtc,
            Stats = a.Stats,
        };
        Assert.Equal(CheckpointManifestFormat.Serialize(a), CheckpointManifestFormat.Serialize(b));
    }

    [Fact]
    public void Parse_TruncatedAtEveryByte_Throws()
    {
        var image = CheckpointManifestFormat.Serialize(Sample());
        for (var length = 0; length < image.Length; length++)
        {
            var torn = image[..length];
            var e = Assert.Throws<CheckpointFormatException>(() => CheckpointManifestFormat.Parse(torn, "dir/manifest"));
            Assert.StartsWith("dir/manifest: ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Parse_EverySingleBitFlip_Throws()
    {
        var image = CheckpointManifestFormat.Serialize(Sample());
        for (var bit = 0; bit < image.Length * 8; bit++)
        {
            var flipped = (byte[])image.Clone();
            flipped[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.Throws<CheckpointFormatException>(() => CheckpointManifestFormat.Parse(flipped, "m"));
        }
    }

    [Fact]
    public void Parse_TrailingByte_ThrowsNamingTheLength()
    {
        var image = CheckpointManifestFormat.Serialize(Sample());
        var padded = image.Append((byte)0).ToArray();
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointManifestFormat.Parse(padded, "m"));
        Assert.Equal("body length", e.Field);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void Parse_NewerVersionWithValidCrc_ThrowsNamingTheVersion()
    {
        var image = CheckpointManifestFormat.Serialize(Sample());
        BinaryPrimitives.WriteUInt16LittleEndian(image.AsSpan(4), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32C.Compute(image.AsSpan(0, image.Length - 4)));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointManifestFormat.Parse(image, "m"));
        Assert.Equal("version", e.Field);
        Assert.Contains("version 2 is not supported", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CorruptCountWithValidCrc_ThrowsInsteadOfAllocating()
    {
        var manifest = new CheckpointManifest { CheckpointId = 1, RingSequence = 5 };
        var image = CheckpointManifestFormat.Serialize(manifest);
        // Header 12 + eight i64 + empty string (2) = 78: the source count.
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(78), uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(image.AsSpan(image.Length - 4), Crc32C.Compute(image.AsSpan(0, image.Length - 4)));
        var e = Assert.Throws<CheckpointFormatException>(() => CheckpointManifestFormat.Parse(image, "m"));
        Assert.Equal("source count", e.Field);
        Assert.Equal(78, e.Offset);
    }
}

using System.Buffers;
using System.Buffers.Binary;
using Kernel.Sketches;
using Kernel.Tests.Operators;

namespace Kernel.Tests.Sketches;

/// <summary>
/// A sketch pool and a SpaceSaving summary refuse damaged snapshot bytes without changing: before, the pool
/// released every sketch and the summary cleared its counters before reading the first entry, so a sketch
/// or counter found damaged half-way left them half restored. Damage is placed at a seeded random bit (or
/// under the sketch's own CRC, computed again), printed with the seed on failure.
/// </summary>
public sealed class SketchRestoreAtomicityTests
{
    [Theory]
    [InlineData(7101, false)]
    [InlineData(7102, false)]
    [InlineData(7103, true)]
    [InlineData(7104, true)]
    public void APool_RefusesADamagedSketch_AndKeepsItsOwn(int seed, bool cut)
    {
        var rng = new Random(seed);
        var a = Pool(rng, sketches: 4);
        var snapshot = Snapshot(a);
        var b = Pool(rng, sketches: 3);
        b.Release(2);   // a free handle below the high-water mark
        var before = Describe(b);
        byte[] damaged;
        string where;
        if (cut)
        {
            damaged = SnapshotDamage.Truncate(snapshot, rng, out var length);
            where = $"cut to {length} of {snapshot.Length} bytes";
        }
        else
        {
            // The third sketch's serialized form: after the 16-byte header, each sketch follows its handle and length.
            var at = 16;
            for (var n = 0; n < 2; n++) at += 8 + BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 4));
            damaged = SnapshotDamage.FlipBit(snapshot, at + 8, at + 8 + BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(at + 4)), rng, out var bit);
            where = $"bit {bit}, in the third sketch";
        }

        var error = Assert.Throws<InvalidDataException>(() => b.RestoreSnapshot(damaged));

        Assert.True(before.SequenceEqual(Describe(b)), $"seed {seed}, {where}, refused with \"{error.Message}\": the pool changed");
        Assert.Equal(2, b.Rent());   // the freed handle is still the one handed out next
    }

    [Fact]
    public void APool_RefusesAHandleLiveTwice()
    {
        var snapshot = Snapshot(Pool(new Random(7201), sketches: 2));
        var second = 16 + 8 + BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(20));
        BinaryPrimitives.WriteInt32LittleEndian(snapshot.AsSpan(second), BinaryPrimitives.ReadInt32LittleEndian(snapshot.AsSpan(16)));
        var b = Pool(new Random(7202), sketches: 1);
        var before = Describe(b);
        Assert.Contains("live twice", Assert.Throws<InvalidDataException>(() => b.RestoreSnapshot(snapshot)).Message, StringComparison.Ordinal);
        Assert.True(before.SequenceEqual(Describe(b)), "the pool changed");
    }

    /// <summary>A counter that repeats a key, or breaks the heap order, under the snapshot's CRC.</summary>
    [Theory]
    [InlineData(7301, true)]
    [InlineData(7302, true)]
    [InlineData(7303, false)]
    [InlineData(7304, false)]
    public void ASpaceSavingSummary_RefusesABadCounter_AndKeepsItsOwn(int seed, bool repeatKey)
    {
        var rng = new Random(seed);
        var a = new SpaceSaving<long>(32);
        for (var i = 0; i < 5_000; i++) a.Add(rng.Next(200), rng.Next(1, 4));
        var snapshot = new byte[a.SnapshotSize];
        a.WriteSnapshot(snapshot);
        // Counters in heap order from offset 36: key (8 bytes), count, error.
        var (from, to) = (rng.Next(1, 32), rng.Next(1, 32));
        if (to == from) to = from % 31 + 1;
        string where;
        if (repeatKey)
        {
            snapshot.AsSpan(36 + from * 24, 8).CopyTo(snapshot.AsSpan(36 + to * 24));
            where = $"counter {to} given counter {from}'s key";
        }
        else
        {
            BinaryPrimitives.WriteInt64LittleEndian(snapshot.AsSpan(36 + 8), long.MaxValue);   // the root: larger than its children
            where = "the root's count made the largest";
        }
        SnapshotDamage.Reseal(snapshot);
        var b = new SpaceSaving<long>(32);
        for (var i = 0; i < 3_000; i++) b.Add(1_000 + rng.Next(100));
        var before = Describe(b);

        var error = Assert.Throws<InvalidDataException>(() => b.RestoreSnapshot(snapshot));

        Assert.True(before.SequenceEqual(Describe(b)), $"seed {seed}, {where}, refused with \"{error.Message}\": the summary changed");
    }

    /// <summary>A pool of <paramref name="sketches"/> precision-10 HyperLogLogs, each fed its own values.</summary>
    private static HyperLogLogPool Pool(Random rng, int sketches)
    {
        var pool = new HyperLogLogPool(10);
        for (var s = 0; s < sketches; s++)
        {
            var handle = pool.Rent();
            for (var i = rng.Next(10, 3_000); i > 0; i--) pool[handle].Add(rng.NextInt64());
        }
        return pool;
    }

    private static byte[] Snapshot(HyperLogLogPool pool)
    {
        var buffer = new ArrayBufferWriter<byte>();
        pool.WriteSnapshot(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The pool as its snapshot bytes (live handles, high-water mark, rents, every sketch), with its live count.</summary>
    private static List<string> Describe(HyperLogLogPool pool) => [$"live {pool.Live}", Convert.ToHexString(Snapshot(pool))];

    /// <summary>The summary as its snapshot bytes (counters in heap order), with its count and total.</summary>
    private static List<string> Describe(SpaceSaving<long> summary)
    {
        var bytes = new byte[summary.SnapshotSize];
        summary.WriteSnapshot(bytes);
        var lines = new List<string> { $"count {summary.Count}, total {summary.Total}", Convert.ToHexString(bytes) };
        var top = new HeavyHitter<long>[summary.Capacity];
        var n = summary.CopyTop(top);
        for (var i = 0; i < n; i++)
        {
            summary.TryGetCount(top[i].Key, out var count, out var error);
            lines.Add($"{top[i].Key}: {count} ± {error}");
        }
        return lines;
    }
}

using System.Buffers.Binary;
using System.Globalization;
using Kernel.Storage.Lsm;

namespace Kernel.Tests.Host.Lsm;

/// <summary>
/// Writes numbered keys into an LSM store with small memtables (so flushes and compactions run
/// all the time), deletes a range now and then, flushes every few batches and prints
/// <c>durable N</c> once keys below N are durable. The test kills it at a random moment and reopens.
/// Args: <c>dir startKey seed</c>. Key i = big-endian i; value = i repeated (8 bytes) then i*7 (4 bytes).
/// Every key whose index is a multiple of 100 plus 50..59 is range-deleted right after it is written.
/// </summary>
public sealed class LsmCrashScenario : IChildScenario
{
    /// <inheritdoc />
    public string Name => "lsm-crash";

    /// <summary>Key bytes of index <paramref name="i"/>.</summary>
    public static byte[] KeyOf(long i)
    {
        var k = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(k, i);
        return k;
    }

    /// <summary>Value bytes of index <paramref name="i"/>.</summary>
    public static byte[] ValueOf(long i)
    {
        var v = new byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(v, i);
        BinaryPrimitives.WriteInt32LittleEndian(v.AsSpan(8), (int)(i * 7));
        return v;
    }

    /// <summary>True when key <paramref name="i"/> is removed by the scenario's range deletes.</summary>
    public static bool IsRangeDeleted(long i) => i % 100 is >= 50 and < 60;

    /// <inheritdoc />
    public int Run(string[] args)
    {
        var dir = args[0];
        var next = long.Parse(args[1], CultureInfo.InvariantCulture);
        var rng = new Random(int.Parse(args[2], CultureInfo.InvariantCulture));
        using var store = LsmStore.Open(new LsmOptions
        {
            Directory = dir, MemtableBytes = 16 << 10, BlockBytes = 512, TargetFileBytes = 16 << 10,
            Level1Bytes = 64 << 10, LevelSizeMultiplier = 4, Level0CompactionTrigger = 2, Level0StopWritesTrigger = 8,
        });
        Console.WriteLine("ready");
        var batch = new WriteBatch();
        for (var round = 0; ; round++)
        {
            batch.Clear();
            var n = rng.Next(1, 200);
            for (var j = 0; j < n; j++, next++)
            {
                batch.Put(KeyOf(next), ValueOf(next));
                if (next % 100 == 59) batch.DeleteRange(KeyOf(next - 9), KeyOf(next + 1));
            }
            store.Write(batch);
            if (round % 5 == 4)
            {
                store.Flush();
                Console.WriteLine("durable " + next.ToString(CultureInfo.InvariantCulture));
            }
            if (round % 37 == 36) store.CompactAll();
        }
    }
}

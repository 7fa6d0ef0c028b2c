using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Kernel.Checkpoints;
using RevenueByProduct = Kernel.Tests.Generators.Declarations.RevenueByProduct;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Savepoint migration of an <c>[Avg]</c>, whose state is a sum plus the count it divides by: its own
/// <c>X_Count</c>, or the declaration's <c>[Count]</c> when the generator shares it. The layouts of the
/// "written" builds are spelled out by hand (offsets of 8-byte fields in declaration order).
/// </summary>
public sealed class AverageMigrationTests
{
    private static StateLayoutField F(string name, string type, AggregateKind kind, int offset) => new(name, type, kind, offset, 8);

    private static StateLayout L(StateLayoutField[] fields, byte[]? initial = null) =>
        new("Tests.Avg", 1, 8, fields.Length * 8, [F("ProductId", "long", AggregateKind.Key, 0)], fields, initial ?? new byte[fields.Length * 8]);

    private static long[] Migrate(StateMigration migration, params long[] written)
    {
        var to = new long[migration.ToStateSize / 8];
        migration.Migrate(MemoryMarshal.AsBytes(written.AsSpan()), MemoryMarshal.AsBytes(to.AsSpan()));
        return to;
    }

    [Fact]
    public void DoubleSumOfAnEarlierBuild_IntoTheGeneratedLongSum_IsRefusedNamingTheAverage()
    {
        // RevenueByProduct as builds before the long sum wrote it: AvgPrice_Sum a double, with its own count.
        var written = L(
        [
            F("RevenueCents", "long", AggregateKind.Sum, 0), F("Orders", "long", AggregateKind.Count, 8),
            F("Cheapest", "long", AggregateKind.Min, 16), F("Dearest", "long", AggregateKind.Max, 24),
            F("AvgPrice_Sum", "double", AggregateKind.AvgSum, 32), F("AvgPrice_Count", "long", AggregateKind.AvgCount, 40),
        ]);
        var size = Unsafe.SizeOf<RevenueByProduct.State>();
        var current = StateLayout.TryOf<long, RevenueByProduct.State>("Tests.Avg", RevenueByProduct.Spec.StateFingerprint, typeof(RevenueByProduct.Spec), size, new byte[size]);
        Assert.NotNull(current);
        var e = Assert.Throws<InvalidDataException>(() => StateMigration.Plan(written, current));
        Assert.Contains("'Tests.Avg'", e.Message, StringComparison.Ordinal);
        Assert.Contains("average 'AvgPrice_Sum' changed type from double to long", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CountRemoved_TheAverageKeepsTheWrittenCountInItsOwn()
    {
        var written = L([F("Orders", "long", AggregateKind.Count, 0), F("Avg_Sum", "long", AggregateKind.AvgSum, 8)]);
        var current = L([F("Avg_Sum", "long", AggregateKind.AvgSum, 0), F("Avg_Count", "long", AggregateKind.AvgCount, 8)]);
        var migration = StateMigration.Plan(written, current);
        Assert.Empty(migration.Added);
        Assert.Equal(["Orders"], migration.Dropped);
        Assert.Equal([900L, 3L], Migrate(migration, 3, 900));
    }

    [Fact]
    public void CountAdded_StartsFromTheAveragesWrittenCount()
    {
        var written = L([F("Avg_Sum", "long", AggregateKind.AvgSum, 0), F("Avg_Count", "long", AggregateKind.AvgCount, 8)]);
        var current = L([F("Orders", "long", AggregateKind.Count, 0), F("Avg_Sum", "long", AggregateKind.AvgSum, 8)]);
        var migration = StateMigration.Plan(written, current);
        Assert.Empty(migration.Added);
        Assert.Equal(["Avg_Count"], migration.Dropped);
        Assert.Equal([4L, 1_000L], Migrate(migration, 1_000, 4));
    }

    [Fact]
    public void SharedCountKept_MigratesByName()
    {
        var written = L([F("Orders", "long", AggregateKind.Count, 0), F("Avg_Sum", "long", AggregateKind.AvgSum, 8)]);
        var current = L([F("Avg_Sum", "long", AggregateKind.AvgSum, 0), F("Orders", "long", AggregateKind.Count, 8), F("Units", "long", AggregateKind.Sum, 16)]);
        var migration = StateMigration.Plan(written, current);
        Assert.Equal(["Units"], migration.Added);
        Assert.Empty(migration.Dropped);
        Assert.Equal([500L, 2L, 0L], Migrate(migration, 2, 500));
    }
}

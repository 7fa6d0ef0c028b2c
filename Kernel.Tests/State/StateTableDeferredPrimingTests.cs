using Kernel.State;
using static Kernel.Tests.State.DirectLongTables;

namespace Kernel.Tests.State;

/// <summary>
/// <c>ClearForReuse()</c> and <c>PrimeDeferred</c>: a windowed aggregator's pooled table is primed
/// when it is rented again, not when it is returned. Until then it holds no primed slot; the deferred priming
/// writes each slot's key and the primed state over the last window's states, and is dropped when the table
/// changed meanwhile (a key added, new arrays), never written over live or reallocated slots.
/// </summary>
public sealed class StateTableDeferredPrimingTests
{
    [Fact]
    public void DeferredPriming_WritesNothingUntilPrimeDeferred_ThenPrimesTheSlotsTheKeysTook()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.DeferredPriming", 1, 100);
        table.EnablePriming(1_000, 50);
        table.GetValueRefOrAdd(3, out _) = 7;
        table.GetValueRefOrAdd(70, out _) = 9;   // beyond the primed range: the general add
        Assert.Equal(50UL, View(table).Primed);

        table.ClearForReuse();
        Assert.Equal(0, table.Count);
        Assert.Equal(0UL, View(table).Primed);   // nothing primed until the table is rented again
        Assert.Equal(0, table.CountPrimedHeld());

        table.PrimeDeferred();
        Assert.Equal(71UL, View(table).Primed);   // up to the last key taken, as an immediate priming
        var adds = 0;
        var view = View(table);
        foreach (var k in new ulong[] { 3, 70, 49 })
        {
            Assert.True(view.TryClaimPrimed(k, ref adds), $"key {k}");
            Assert.Equal(1_000, view.StateAt(k));   // the primed state, not the last window's
        }
        table.CommitWindowAdds(adds);
        Assert.Equal(3, table.Count);
        Assert.Equal([(3L, 1_000L), (49L, 1_000L), (70L, 1_000L)], Entries(table));

        table.PrimeDeferred();   // nothing pending: the held keys keep their states
        Assert.Equal([(3L, 1_000L), (49L, 1_000L), (70L, 1_000L)], Entries(table));
    }

    [Fact]
    public void DeferredPriming_IsDropped_WhenTheTableChangedBeforeIt()
    {
        var table = new StateTable<long, long, DirectLongHasher>("Tests.DeferredPriming", 1, 100);
        table.EnablePriming(1_000, 64);
        table.GetValueRefOrAdd(5, out _) = 1;
        table.ClearForReuse();

        // Written before the pending priming: a key outside the slots grows the table into new arrays.
        table.GetValueRefOrAdd(900, out _) = 42;
        table.PrimeDeferred();
        Assert.Equal(0UL, View(table).Primed);
        Assert.Equal([(900L, 42L)], Entries(table));

        // A key added and removed again: empty, but not as the return left it.
        table.ClearForReuse();
        table.GetValueRefOrAdd(2, out _) = 3;
        Assert.True(table.Remove(2));
        table.PrimeDeferred();
        Assert.Equal(0UL, View(table).Primed);
        Assert.Equal(0, table.Count);

        // Untouched since the return: primed on the new arrays.
        table.GetValueRefOrAdd(7, out _) = 1;
        table.ClearForReuse();
        Assert.Equal(0UL, View(table).Primed);
        table.PrimeDeferred();
        Assert.True(View(table).Primed >= 8, "the slots up to the last key taken are primed");
        var adds = 0;
        Assert.True(View(table).TryClaimPrimed(7, ref adds));
        Assert.Equal(1_000, View(table).StateAt(7));
        Assert.Equal(1, adds);
    }

    [Fact]
    public void LinedTable_DeferredPriming_WritesEveryPrimedSlotByStride()
    {
        // Lined entries are 128 bytes apart: the deferred priming must reach each slot's key and state there.
        var table = new StateTable<long, Wide72, HotPrefixHasher>("Tests.DeferredPriming", 7, 2_048);
        Assert.True(table.IsLined);
        var first = Wide72.Of(-1);
        table.EnablePriming(first, 16);
        for (long k = 0; k < 1_500; k++) table.GetValueRefOrAdd(k, out _) = Wide72.Of(k);
        table.ClearForReuse();
        Assert.True(table.TryGetDirectView(out var before));
        Assert.Equal(0UL, before.Primed);
        table.PrimeDeferred();
        Assert.True(table.TryGetDirectView(out var view));
        Assert.Equal(1_500UL, view.Primed);
        var adds = 0;
        for (ulong k = 0; k < 1_500; k++)
        {
            Assert.True(view.TryClaimPrimed(k, ref adds), $"key {k}");
            Assert.Equal(first, view.StateAt(k));
        }
        table.CommitWindowAdds(adds);
        Assert.Equal(1_500, table.Count);
        var n = 0;
        foreach (ref var e in table)
        {
            Assert.Equal(first, e.State);
            Assert.True(e.Key >= 0 && e.Key < 1_500, $"key {e.Key}");
            n++;
        }
        Assert.Equal(1_500, n);
    }
}

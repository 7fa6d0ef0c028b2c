namespace Kernel.Tests.Infrastructure;

public sealed class AllocationsTests
{
    private static object? s_keep;

    [Fact]
    public void SteadyState_SeesAnAllocationInTheBody_EvenWhenEveryWindowHasAGc()
    {
        // A body that allocates on every run shows its bytes in every window, so the least of
        // them cannot drop below what the body allocated, with or without collections.
        Assert.True(Allocations.SteadyState(() => s_keep = new byte[1_000]) >= 1_000);
        Assert.True(Allocations.SteadyState(() =>
        {
            GC.Collect(0);
            s_keep = new byte[1_000];
        }, attempts: 2) >= 1_000);
    }

    [Fact]
    public void SteadyState_ReportsZero_ForABodyThatAllocatesNothing()
    {
        var sum = 0L;
        var values = new long[1_000];
        void Body()
        {
            foreach (var v in values) sum += v;
        }
        Body();
        Assert.Equal(0, Allocations.SteadyState(Body));
        Assert.Equal(0, sum);
    }

    [Fact]
    public void SteadyState_RunsPrepareOutsideTheWindow()
    {
        var allocated = Allocations.SteadyState(prepare: () => s_keep = new byte[10_000], body: () => { });
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Measure_FlagsAGarbageCollectionInTheWindow_AndPickTakesTheLeast()
    {
        var (_, gc) = Allocations.Measure(() => GC.Collect(0));
        Assert.True(gc);
        Assert.Equal(0, Allocations.Pick([5, 0, 7]));
        Assert.Equal(3, Allocations.Pick([5, 3, 7]));
    }
}

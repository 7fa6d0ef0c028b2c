using Kernel.Sketches;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sketches;

public sealed class HyperLogLogResetTests
{
    [Theory]
    [InlineData(14, 100)]      // stays sparse
    [InlineData(14, 50_000)]   // turns dense
    [InlineData(4, 1_000)]     // dense from the start
    public void Reset_AfterAnyHistory_BehavesLikeANewSketch(int precision, int distinct)
    {
        var reused = new HyperLogLog(precision);
        for (var i = 0; i < 40_000; i++) reused.Add(1_000_000 + i);   // dense at p = 14
        reused.Reset();
        var fresh = new HyperLogLog(precision);
        for (var i = 0; i < distinct; i++)
        {
            reused.Add(i);
            fresh.Add(i);
        }
        Assert.Equal(fresh.IsSparse, reused.IsSparse);
        Assert.Equal(fresh.Estimate(), reused.Estimate());
        var a = new byte[fresh.SerializedSize];
        var b = new byte[reused.SerializedSize];
        fresh.WriteTo(a);
        reused.WriteTo(b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Reset_ThenTurningDenseAgain_AllocatesNothing()
    {
        var sketch = new HyperLogLog(12);
        for (var i = 0; i < 10_000; i++) sketch.Add(i);
        Assert.False(sketch.IsSparse);
        // Each attempt resets the sketch (outside the measured window), then turns it dense again.
        var allocated = Allocations.SteadyState(
            prepare: () =>
            {
                sketch.Reset();
                Assert.True(sketch.IsSparse);
            },
            body: () =>
            {
                for (var i = 0; i < 10_000; i++) sketch.Add(i);
            });
        Assert.Equal(0, allocated);
        Assert.False(sketch.IsSparse);
    }
}

using Kernel.Operators;
using Kernel.Ring;
using Kernel.Tests.Operators.Specs;
using Kernel.Time;
using Reach = Kernel.Operators.WindowedAggregator<Kernel.Tests.Generators.Declarations.Order, long, Kernel.Tests.Generators.Declarations.DailyReach.State, Kernel.Tests.Generators.Declarations.DailyReach, Kernel.Tests.Generators.Declarations.DailyReach.Spec>;

namespace Kernel.Tests.Operators;

/// <summary>
/// docs/event-time.md's and docs/sketches.md's windowed-operator claims that no other test pinned down (session 24's
/// audit): processing time acts after every ring batch (not only on Tick or an idle call), invalid options are refused
/// at construction naming the setting, and sketch members refuse sliding windows whose slide is not their size.
/// </summary>
public sealed class WindowContractS24Tests
{
    private static WindowedAggregator<Order, long, RevenueState, RevenueRow, DailyRevenueSpec> New(RowCollector sink, WindowOptions options) =>
        new(sink, null, options);

    [Fact]
    public void PeriodicEmission_ActsAfterARingBatch_WithoutTickOrIdleCalls()
    {
        // A busy ring is never idle: without the check after each batch, Periodic rows would never come.
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = New(sink, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            Emit = EmitMode.Periodic, EmitIntervalMs = 1_000, Clock = clock,
        });
        op.OnBatch([new() { Event = Order.Of(1, 1) }], 0);
        Assert.Empty(sink.Rows);
        clock.Advance(1_000);

        op.OnBatch([new() { Event = Order.Of(2, 2) }], 1);

        Assert.Equal(new[] { "1@0-10:1/100 r0", "2@0-10:1/100 r0" }, sink.Lines().Order());
    }

    [Fact]
    public void IdleSources_AreNoticedAfterARingBatch_WithoutTickOrIdleCalls()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = New(sink, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            Emit = EmitMode.Final, Clock = clock, Sources = 2, IdleTimeoutMs = 30,
        });
        op.OnBatch([new() { Event = Order.Of(1, 5), SourceId = 0 }], 0);
        Assert.Equal(long.MinValue, op.Watermark);   // source 1 has said nothing: it holds W
        clock.Advance(30);

        op.OnBatch([new() { Event = Order.Of(1, 25), SourceId = 0 }], 1);

        Assert.True(op.Sources.IsIdle(1));
        Assert.Equal(24, op.Watermark);
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
    }

    [Fact]
    public void PeriodicWatermark_MovesAfterARingBatch_WithoutTickOrIdleCalls()
    {
        var sink = new RowCollector();
        var clock = new ManualClock();
        var op = New(sink, new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 },
            Emit = EmitMode.Final, Clock = clock, WatermarkAdvance = WatermarkAdvance.Periodic, WatermarkIntervalMs = 200,
        });
        op.OnBatch([new() { Event = Order.Of(1, 5) }], 0);
        Assert.Equal(long.MinValue, op.Watermark);
        clock.Advance(200);

        op.OnBatch([new() { Event = Order.Of(1, 12) }], 1);

        Assert.Equal(11, op.Watermark);
        Assert.Equal(new[] { "1@0-10:1/100 r0F" }, sink.Lines());
    }

    public static TheoryData<string, WindowOptions> InvalidOptions() => new()
    {
        { "Window.SizeMs", new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 0 } } },
        { "Window.SlideMs", new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 11 } } },
        { "Window.SlideMs", new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 10, SlideMs = 0 } } },
        { "Window.GapMs", new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Session, GapMs = 0 } } },
        { "MaxOutOfOrdernessMs", new WindowOptions { Window = Tumbling10, MaxOutOfOrdernessMs = -1 } },
        { "IdleTimeoutMs", new WindowOptions { Window = Tumbling10, IdleTimeoutMs = -1 } },
        { "Sources", new WindowOptions { Window = Tumbling10, Sources = 0 } },
        { "WatermarkIntervalMs", new WindowOptions { Window = Tumbling10, WatermarkIntervalMs = 0 } },
        { "PreallocatedWindows", new WindowOptions { Window = Tumbling10, PreallocatedWindows = -1 } },
    };

    private static WindowSpec Tumbling10 => new() { Kind = WindowKind.Tumbling, SizeMs = 10, SlideMs = 10 };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void InvalidOptions_AreRefusedAtConstruction_NamingTheSetting(string setting, WindowOptions options)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => New(new RowCollector(), options));
        Assert.Equal(setting, e.ParamName);
        Assert.Contains(setting, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SketchMembers_RefuseSlidingWindowsWhoseSlideIsNotTheirSize()
    {
        var sliding = new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 86_400_000, SlideMs = 21_600_000 } };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Reach(new NullSink(), null, sliding));
        Assert.Equal("Window.Kind", e.ParamName);
        Assert.Contains("[DistinctCount]/[Sample]", e.Message, StringComparison.Ordinal);

        // A slide equal to the size is a tumbling window: allowed.
        _ = new Reach(new NullSink(), null, new WindowOptions { Window = new WindowSpec { Kind = WindowKind.Sliding, SizeMs = 86_400_000, SlideMs = 86_400_000 } });
    }

    [Fact]
    public void SketchMembers_RefuseAStateBudget_NamingTheOptionAndTheAggregation()
    {
        // docs/state-and-memory.md: aggregations with sketches keep full snapshots, so their state cannot spill.
        var options = new WindowOptions
        {
            Window = new WindowSpec { Kind = WindowKind.Tumbling, SizeMs = 86_400_000, SlideMs = 86_400_000 },
            StateBudgetEntries = 10, Control = new Kernel.Checkpoints.OperatorParticipant("p"),
        };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Reach(new NullSink(), null, options));
        Assert.Equal("StateBudgetEntries", e.ParamName);
        Assert.Contains("sketches keep full snapshots", e.Message, StringComparison.Ordinal);
        Assert.Contains("DailyReach", e.Message, StringComparison.Ordinal);
    }

    private sealed class NullSink : IRowSink<Kernel.Tests.Generators.Declarations.DailyReach>
    {
        public void OnRow(in Kernel.Tests.Generators.Declarations.DailyReach row, in RowRevision revision) { }
    }
}

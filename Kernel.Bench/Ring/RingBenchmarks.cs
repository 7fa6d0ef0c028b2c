using BenchmarkDotNet.Attributes;

namespace Kernel.Bench.Ring;

/// <summary>
/// Kernel's ring against bounded Channels and BlockingCollection over a 24-byte event, unpinned:
/// 1P→1C (one event at a time, and claimed batches of 64), 1P→3C multicast, 3P→1C.
/// Run with <c>dotnet run -c Release --project Kernel.Bench -- --filter *RingBenchmarks*</c>.
/// Threads are started once per benchmark (global setup); an invocation moves
/// <see cref="Events"/> events end to end.
/// </summary>
[MemoryDiagnoser]
public class RingBenchmarks
{
    /// <summary>Events per invocation.</summary>
    public const int Events = 2_000_000;

    private IThroughputScenario? _scenario;

    [GlobalSetup(Target = nameof(Ring_1P1C))]
    public void SetupRing1P1C() => _scenario = new RingScenario(1, 1, Events);

    [GlobalSetup(Target = nameof(Ring_1P1C_Batch64))]
    public void SetupRingBatch() => _scenario = new RingScenario(1, 1, Events, batch: 64);

    [GlobalSetup(Target = nameof(Ring_1P3C))]
    public void SetupRing1P3C() => _scenario = new RingScenario(1, 3, Events);

    [GlobalSetup(Target = nameof(Ring_3P1C))]
    public void SetupRing3P1C() => _scenario = new RingScenario(3, 1, Events);

    [GlobalSetup(Target = nameof(Channels_1P1C))]
    public void SetupChannels1P1C() => _scenario = new ChannelScenario(1, 1, Events);

    [GlobalSetup(Target = nameof(Channels_1P3C))]
    public void SetupChannels1P3C() => _scenario = new ChannelScenario(1, 3, Events);

    [GlobalSetup(Target = nameof(Channels_3P1C))]
    public void SetupChannels3P1C() => _scenario = new ChannelScenario(3, 1, Events);

    [GlobalSetup(Target = nameof(BlockingCollection_1P1C))]
    public void SetupBlockingCollection() => _scenario = new BlockingCollectionScenario(Events);

    [GlobalCleanup]
    public void Cleanup() => _scenario?.Dispose();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Ring_1P1C() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Ring_1P1C_Batch64() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Ring_1P3C() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Ring_3P1C() => _scenario!.Run();

    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public void Channels_1P1C() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Channels_1P3C() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void Channels_3P1C() => _scenario!.Run();

    [Benchmark(OperationsPerInvoke = Events)]
    public void BlockingCollection_1P1C() => _scenario!.Run();
}

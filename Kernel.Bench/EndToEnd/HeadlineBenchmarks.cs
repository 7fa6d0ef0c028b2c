using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// The headline job under BenchmarkDotNet, for a quiet machine: every case of the <c>headline</c>
/// quick suite over 2M pre-generated orders, one invocation per iteration (each starts from empty
/// state, so the ring, operator, log or pipeline is built in the iteration set-up, untimed), the hand
/// loop as the baseline. Run with
/// <c>dotnet run -c Release --project Kernel.Bench -- --filter *HeadlineBenchmarks*</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, warmupCount: 2, iterationCount: 10, invocationCount: 1)]
public class HeadlineBenchmarks
{
    /// <summary>Orders per invocation.</summary>
    public const int Orders = 2_000_000;

    private HeadlineOrder[] _orders = [];
    private HeadlineCase? _case;

    /// <summary>Generates the orders once.</summary>
    [GlobalSetup]
    public void GenerateOrders() => _orders = HeadlineData.Generate(Orders);

    /// <summary>Builds the ring case's run.</summary>
    [IterationSetup(Target = nameof(Ring))]
    public void PrepareRing() => Prepare(new RingCase(journal: false));

    /// <summary>Builds the journaled ring's run.</summary>
    [IterationSetup(Target = nameof(RingJournal))]
    public void PrepareRingJournal() => Prepare(new RingCase(journal: true));

    /// <summary>Builds the durable pipeline's run.</summary>
    [IterationSetup(Target = nameof(RingCheckpoints))]
    public void PrepareRingCheckpoints() => Prepare(new CheckpointedRingCase(Orders));

    /// <summary>Builds the hand loop's run.</summary>
    [IterationSetup(Target = nameof(HandLoop))]
    public void PrepareHandLoop() => Prepare(new HandLoopCase());

    /// <summary>Builds the Channels run.</summary>
    [IterationSetup(Target = nameof(Channels))]
    public void PrepareChannels() => Prepare(new ChannelsCase());

    /// <summary>Builds the Rx run.</summary>
    [IterationSetup(Target = nameof(Rx))]
    public void PrepareRx() => Prepare(new RxCase());

    /// <summary>Builds the R3 run.</summary>
    [IterationSetup(Target = nameof(R3))]
    public void PrepareR3() => Prepare(new R3Case());

    /// <summary>Tears the run down (threads, files).</summary>
    [IterationCleanup]
    public void Cleanup() => _case?.Cleanup();

    /// <summary>Ring and windowed operator.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void Ring() => _case!.Run(_orders);

    /// <summary>Journal, then ring and windowed operator.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void RingJournal() => _case!.Run(_orders);

    /// <summary>The durable pipeline with interval checkpoints.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void RingCheckpoints() => _case!.Run(_orders);

    /// <summary>The hand-written single-threaded loop.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Orders)]
    public void HandLoop() => _case!.Run(_orders);

    /// <summary>Channels producer → consumer.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void Channels() => _case!.Run(_orders);

    /// <summary>System.Reactive subject.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void Rx() => _case!.Run(_orders);

    /// <summary>R3 subject.</summary>
    [Benchmark(OperationsPerInvoke = Orders)]
    public void R3() => _case!.Run(_orders);

    private void Prepare(HeadlineCase c)
    {
        _case = c;
        c.Prepare();
    }
}

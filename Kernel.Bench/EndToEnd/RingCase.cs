using Kernel.Journal;
using Kernel.Operators;
using Kernel.Ring;
using Kernel.Runtime;
using Kernel.Storage.Log;
using Kernel.Time;

namespace Kernel.Bench.EndToEnd;

/// <summary>
/// Cases <c>ring</c> and <c>ring-journal</c>: the producer (calling thread) publishes the orders into
/// a <see cref="StreamKernel{TEvent}"/> in spans of <see cref="PublishBatch"/>; the generated windowed
/// operator folds them on its handler thread and emits each (product, day) row once its day closes.
/// With the journal, a <see cref="JournalHandler{T, TTime}"/> appends every order to a
/// <see cref="SegmentedLog"/> in a temporary directory first and the operator runs after it (the
/// order the durable pipeline uses); the log flushes only at end of input
/// (<see cref="FlushPolicy.None"/>: the OS writes pages back in between).
/// </summary>
public sealed class RingCase(bool journal) : HeadlineCase
{
    /// <summary>Orders per <see cref="StreamKernel{TEvent}.Publish(ReadOnlySpan{TEvent})"/> call.</summary>
    public const int PublishBatch = 1024;

    /// <summary>The layout fingerprint the journal's log is opened with (any constant: the benchmark never recovers).</summary>
    private const ulong LayoutFingerprint = 0xBE4C_E2E0_0000_0001UL;

    private StreamKernel<HeadlineOrder>? _kernel;
    private WindowedAggregator<HeadlineOrder, long, DailyProductRevenue.State, DailyProductRevenue, DailyProductRevenue.Spec>? _op;
    private TotalsSink _sink = new();
    private SegmentedLog? _log;
    private string? _directory;

    /// <inheritdoc/>
    public override string Name => journal ? "ring-journal" : "ring";

    /// <inheritdoc/>
    public override HeadlineTotals Totals
    {
        get
        {
            var t = _sink.Totals;
            t.Late = _op?.LateEvents ?? 0;
            return t;
        }
    }

    /// <summary>Bytes of segment files the journal left on disk after the last run (0 without journal).</summary>
    public long JournalBytes { get; private set; }

    /// <inheritdoc/>
    public override void Prepare()
    {
        _sink = new TotalsSink();
        _op = new(_sink, null, new WindowOptions
        {
            Clock = SystemClock.Instance, InitialCapacity = HeadlineData.Products * 2, PreallocatedWindows = 4,
        });
        _kernel = new StreamKernel<HeadlineOrder>(new StreamKernelOptions { RingSize = 1 << 16, ProducerType = ProducerType.Single });
        if (journal)
        {
            _directory = Path.Combine(Path.GetTempPath(), "kernel-bench-journal-" + Guid.NewGuid().ToString("N"));
            _log = SegmentedLog.Open(_directory, new LogOptions
            {
                PayloadFingerprint = JournalRecord.Fingerprint<HeadlineOrder>(LayoutFingerprint),
                FlushPolicy = FlushPolicy.None,
            });
            _kernel.AddHandler("journal", new JournalHandler<HeadlineOrder, OrderTime>(_log, LayoutFingerprint));
            _kernel.AddHandler("daily", _op, "journal");
        }
        else
        {
            _kernel.AddHandler("daily", _op);
        }
        _kernel.Start();
    }

    /// <inheritdoc/>
    public override void Run(HeadlineOrder[] orders)
    {
        var kernel = _kernel!;
        for (var i = 0; i < orders.Length; i += PublishBatch)
            kernel.Publish(orders.AsSpan(i, Math.Min(PublishBatch, orders.Length - i)));
        kernel.CompleteAsync().GetAwaiter().GetResult();
    }

    /// <inheritdoc/>
    public override void Cleanup()
    {
        _kernel?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _kernel = null;
        if (_log is not null)
        {
            _log.Dispose();
            _log = null;
            long bytes = 0;
            foreach (var file in new DirectoryInfo(_directory!).EnumerateFiles()) bytes += file.Length;
            JournalBytes = bytes;
        }
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
            _directory = null;
        }
    }
}

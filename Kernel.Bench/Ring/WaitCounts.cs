using System.Globalization;
using System.Text;
using Kernel.Bench.Quick;
using Kernel.Ring;

namespace Kernel.Bench.Ring;

/// <summary>
/// The mechanism behind a run's rate, as counts that a loaded machine disturbs far less than the
/// rate itself: the process's context switches (<c>getrusage</c>: voluntary ones are sleeps,
/// involuntary ones preemptions and yields that gave the CPU away), its CPU time, and, when the
/// process was started with <c>KERNEL_RING_COUNTERS=1</c>, the ring's own waiting counts
/// (<see cref="RingCounters"/>). Take a snapshot before and after each run and add the difference up.
/// </summary>
internal sealed class WaitCounts
{
    private readonly long[] _total = new long[RingCounters.Count + 2];
    private readonly long[] _before = new long[RingCounters.Count + 2];
    private readonly long[] _now = new long[RingCounters.Count + 2];
    private double _cpuSeconds;
    private double _wallSeconds;
    private long _events;
    private TimeSpan _cpuBefore;

    /// <summary>Snapshot before a run.</summary>
    public void Begin()
    {
        Read(_before);
        _cpuBefore = Environment.CpuUsage.TotalTime;
    }

    private readonly long[] _last = new long[RingCounters.Count + 2];
    private double _lastCpuSeconds;

    /// <summary>Snapshot after a run of <paramref name="events"/> events that took <paramref name="wallSeconds"/>.</summary>
    public void End(long events, double wallSeconds)
    {
        _lastCpuSeconds = (Environment.CpuUsage.TotalTime - _cpuBefore).TotalSeconds;
        _cpuSeconds += _lastCpuSeconds;
        Read(_now);
        for (var i = 0; i < _total.Length; i++)
        {
            _last[i] = _now[i] - _before[i];
            _total[i] += _last[i];
        }
        _events += events;
        _wallSeconds += wallSeconds;
    }

    /// <summary>One line: per million events, and the CPUs used on average (CPU time / wall time).</summary>
    public string Describe(string what)
    {
        var perM = 1e6 / Math.Max(1, _events);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"  counts {what}: cpus {_cpuSeconds / Math.Max(1e-9, _wallSeconds):F2}, per M events: vcsw {_total[0] * perM:F1}, ivcsw {_total[1] * perM:F1}");
        if (RingCounters.Enabled)
        {
            for (var i = 0; i < RingCounters.Count; i++)
                sb.Append(CultureInfo.InvariantCulture, $", {(RingCounters.Kind)i} {_total[i + 2] * perM:F1}");
            var batches = _total[2 + (int)RingCounters.Kind.ConsumerBatches];
            if (batches > 0)
                sb.Append(CultureInfo.InvariantCulture, $", entries/batch {_total[2 + (int)RingCounters.Kind.ConsumerEntries] / (double)batches:F0}");
        }
        return sb.ToString();
    }

    /// <summary>The last run alone, compactly (per million events): for runs whose mode flips round by round.</summary>
    public string DescribeLast(long events, double wallSeconds) => DescribeLast(TakeLast(), events, wallSeconds);

    /// <summary>
    /// A copy of the last run's counts, to format with <see cref="DescribeLast(LastRun, long, double)"/> once the
    /// measured rounds are over (formatting between rounds compiled code beside them; Interleaved.SettleJit).
    /// </summary>
    public LastRun TakeLast() => new((long[])_last.Clone(), _lastCpuSeconds);

    /// <summary>One run's counts (see <see cref="TakeLast"/>): the context switches and ring counts, and its CPU time.</summary>
    public readonly record struct LastRun(long[] Counts, double CpuSeconds);

    /// <summary><see cref="DescribeLast(long, double)"/> of a run taken earlier.</summary>
    public static string DescribeLast(LastRun run, long events, double wallSeconds)
    {
        var last = run.Counts;
        var perM = 1e6 / Math.Max(1, events);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"    round: {events / wallSeconds / 1e6:F1}M/s cpus {run.CpuSeconds / wallSeconds:F2} vcsw {last[0] * perM:F1} ivcsw {last[1] * perM:F1}");
        if (RingCounters.Enabled)
        {
            long C(RingCounters.Kind k) => last[2 + (int)k];
            var batches = C(RingCounters.Kind.ConsumerBatches);
            sb.Append(CultureInfo.InvariantCulture,
                $" | batch {(batches > 0 ? C(RingCounters.Kind.ConsumerEntries) / (double)batches : 0):F0} cW {C(RingCounters.Kind.ConsumerWaits) * perM:F0} cP {C(RingCounters.Kind.ConsumerPauses) * perM:F0} cY {C(RingCounters.Kind.ConsumerYields) * perM:F0} cB {C(RingCounters.Kind.ConsumerBlocks) * perM:F1} cGap {C(RingCounters.Kind.ConsumerGapWaits) * perM:F0} cBY {C(RingCounters.Kind.ConsumerBatchYields) * perM:F0}" +
                $" | pW {C(RingCounters.Kind.ProducerWaits) * perM:F0} pP {C(RingCounters.Kind.ProducerPauses) * perM:F0} pY {C(RingCounters.Kind.ProducerYields) * perM:F0} pB {C(RingCounters.Kind.ProducerBlocks) * perM:F1} pHeld {C(RingCounters.Kind.ProducerHeldWaits) * perM:F0} pBO {C(RingCounters.Kind.ProducerBackOffs) * perM:F0}" +
                $" | sigWake {C(RingCounters.Kind.SignalWakes) * perM:F1} roomWake {C(RingCounters.Kind.RoomWakes) * perM:F1}");
        }
        return sb.ToString();
    }

    private static void Read(long[] into)
    {
        var usage = OsThread.ProcessUsage();
        into[0] = usage.Voluntary;
        into[1] = usage.Involuntary;
        RingCounters.Read(into.AsSpan(2));
    }
}

using System.Runtime.InteropServices;

namespace Kernel.Bench.Ring;

/// <summary>
/// Where a thread runs and how much CPU it used (Linux: <c>sched_getcpu</c>,
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>; elsewhere -1 and 0). For the per-round
/// diagnostics of the multi-producer cases: which CPUs the producers and the consumer shared,
/// and which side spent the CPU time, tell the modes of a run apart where its rate cannot.
/// </summary>
internal static partial class ThreadProbe
{
    /// <summary>The CPU the calling thread runs on now, or -1.</summary>
    public static int CurrentCpu() => OperatingSystem.IsLinux() ? sched_getcpu() : -1;

    /// <summary>The calling thread's CPU time so far in nanoseconds, or 0.</summary>
    public static long ThreadCpuNanoseconds()
    {
        if (!OperatingSystem.IsLinux() || clock_gettime(ClockThreadCpuTime, out var ts) != 0)
            return 0;
        return ts.Seconds * 1_000_000_000 + ts.Nanoseconds;
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc")]
    private static partial int sched_getcpu();

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out TimeSpec ts);
}

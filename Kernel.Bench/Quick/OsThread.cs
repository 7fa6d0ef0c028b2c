using System.Runtime.InteropServices;

namespace Kernel.Bench.Quick;

/// <summary>
/// What Linux tells about the calling thread, for the suites' diagnostics: its CPU time
/// (<c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>; a run whose wall time far exceeds it spent the
/// difference off the CPU), the CPU it runs on (<c>sched_getcpu</c>), and its or the process's page
/// faults and context switches (<c>getrusage</c>). Elsewhere every figure reads 0 (the CPU reads -1)
/// and the suites print no split.
/// </summary>
internal static partial class OsThread
{
    private const int ClockThreadCpuTime = 3;   // CLOCK_THREAD_CPUTIME_ID
    private const int RusageSelf = 0;
    private const int RusageThread = 1;

    /// <summary>True where the calls exist.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The calling thread's CPU time so far in nanoseconds (user and system, faults included), or 0.</summary>
    public static long CpuNanoseconds()
    {
        if (!IsSupported || clock_gettime(ClockThreadCpuTime, out var ts) != 0) return 0;
        return ts.Seconds * 1_000_000_000L + ts.Nanoseconds;
    }

    /// <summary>The CPU the calling thread runs on now, or -1.</summary>
    public static int CurrentCpu() => IsSupported ? sched_getcpu() : -1;

    /// <summary>Minor and major faults, voluntary and involuntary context switches of the calling thread so far.</summary>
    public static Usage ThreadUsage() => Read(RusageThread);

    /// <summary>The same counts summed over the whole process.</summary>
    public static Usage ProcessUsage() => Read(RusageSelf);

    /// <summary>Page faults and context switches (voluntary ones are sleeps and blocks, involuntary ones preemptions).</summary>
    public readonly record struct Usage(long MinorFaults, long MajorFaults, long Voluntary, long Involuntary);

    private static Usage Read(int who)
    {
        if (!IsSupported || getrusage(who, out var u) != 0) return default;
        return new Usage(u.MinorFaults, u.MajorFaults, u.VoluntarySwitches, u.InvoluntarySwitches);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // struct rusage on 64-bit Linux: two timevals, then fourteen longs.
    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, SharedText, UnsharedData, UnsharedStack;
        public long MinorFaults, MajorFaults, Swaps, BlocksIn, BlocksOut, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }

    [LibraryImport("libc")]
    private static partial int clock_gettime(int clock, out TimeSpec ts);

    [LibraryImport("libc")]
    private static partial int sched_getcpu();

    [LibraryImport("libc")]
    private static partial int getrusage(int who, out Rusage usage);
}

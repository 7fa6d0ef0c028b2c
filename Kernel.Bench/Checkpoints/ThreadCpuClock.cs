using System.Runtime.InteropServices;

namespace Kernel.Bench.Checkpoints;

/// <summary>
/// The calling thread's CPU time (user and system, page faults included) from
/// <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c>: a barrier whose wall time far exceeds it spent the
/// difference off the CPU (preempted by other processes on a shared machine, or blocked). Linux only;
/// elsewhere it reads 0 and the suite reports no split.
/// </summary>
internal static partial class ThreadCpuClock
{
    private const int ThreadCpuTimeId = 3;   // CLOCK_THREAD_CPUTIME_ID

    /// <summary>True where the clock exists.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The calling thread's CPU time in nanoseconds (0 when unsupported).</summary>
    public static long NowNanoseconds()
    {
        if (!IsSupported || ClockGetTime(ThreadCpuTimeId, out var time) != 0) return 0;
        return time.Seconds * 1_000_000_000L + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);
}

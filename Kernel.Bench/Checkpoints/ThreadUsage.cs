using System.Runtime.InteropServices;

namespace Kernel.Bench.Checkpoints;

/// <summary>
/// The calling thread's page faults and context switches from <c>getrusage(RUSAGE_THREAD)</c>: a
/// barrier that faults pages in (fresh or reclaimed memory) or is switched out shows it here. Linux
/// only; elsewhere every count reads 0.
/// </summary>
internal static partial class ThreadUsage
{
    private const int RusageThread = 1;

    /// <summary>True where the call exists.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>Minor faults, major faults, voluntary and involuntary context switches of the calling thread so far.</summary>
    public static (long MinorFaults, long MajorFaults, long Voluntary, long Involuntary) Now()
    {
        if (!IsSupported || GetRusage(RusageThread, out var usage) != 0) return default;
        return (usage.MinorFaults, usage.MajorFaults, usage.VoluntarySwitches, usage.InvoluntarySwitches);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Rusage
    {
        public long UserSeconds, UserMicroseconds, SystemSeconds, SystemMicroseconds;
        public long MaxRss, SharedText, UnsharedData, UnsharedStack;
        public long MinorFaults, MajorFaults, Swaps, BlocksIn, BlocksOut, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static partial int GetRusage(int who, out Rusage usage);
}

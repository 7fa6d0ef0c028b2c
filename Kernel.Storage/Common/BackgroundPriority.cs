using System.Runtime.InteropServices;

namespace Kernel.Storage.Common;

/// <summary>
/// Lowers the scheduling priority of the calling thread (Linux: <c>setpriority</c> on its thread
/// id, which an unprivileged process may always do; nothing elsewhere). Background work such as
/// LSM compaction calls it once at its start so that, on a machine with fewer cores than busy
/// threads, the scheduler prefers the event path's threads and a compaction takes the idle time.
/// </summary>
internal static partial class BackgroundPriority
{
    private const int PrioProcess = 0;   // PRIO_PROCESS: with a thread id, that one thread

    /// <summary>Sets the calling thread's nice value to <paramref name="nice"/> (0–19); a failure leaves it as it was.</summary>
    public static void LowerCurrentThread(int nice)
    {
        if (!OperatingSystem.IsLinux()) return;
        _ = SetPriority(PrioProcess, GetTid(), nice);   // a refusal only costs the preference
    }

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int prio);
}

using System.Runtime.InteropServices;

namespace Kernel.Bench.Ring;

/// <summary>
/// Pins the calling thread to one CPU (Linux <c>sched_setaffinity</c> with pid 0 = this thread).
/// On a 2-vCPU machine an unpinned producer/consumer pair flips between sharing a core and
/// splitting across cores, two regimes with very different figures; pinning names the regime.
/// </summary>
internal static partial class CpuAffinity
{
    /// <summary>True when pinning works here (Linux); elsewhere <see cref="PinCurrentThread"/> does nothing.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>The CPU a "split" layout puts its second thread on (1, or 0 on a single-CPU machine).</summary>
    public static int SecondCpu => Environment.ProcessorCount > 1 ? 1 : 0;

    /// <summary>Pins the calling thread to <paramref name="cpu"/>; null leaves it unpinned.</summary>
    public static void PinCurrentThread(int? cpu)
    {
        if (cpu is not int c || !IsSupported)
            return;
        ulong mask = 1UL << c;
        if (sched_setaffinity(0, (nuint)sizeof(ulong), ref mask) != 0)
            Console.Error.WriteLine($"ring: sched_setaffinity(cpu {c}) failed, errno {Marshal.GetLastPInvokeError()}; running unpinned");
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint cpusetsize, ref ulong mask);
}

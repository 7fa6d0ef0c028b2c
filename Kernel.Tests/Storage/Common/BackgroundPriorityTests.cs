using Kernel.Storage.Common;

namespace Kernel.Tests.Storage.Common;

/// <summary>
/// The LSM compaction thread lowers its own priority (BackgroundPriority) so that on a small machine the
/// event path's threads preempt it, not the other way round: the call must change the calling thread's
/// nice value and no other thread's.
/// </summary>
public sealed class BackgroundPriorityTests
{
    [Fact]
    public void LowerCurrentThread_SetsThatThreadsNice_AndLeavesOthers()
    {
        if (!OperatingSystem.IsLinux()) return;   // elsewhere the call does nothing, and /proc is not there to read
        var before = NiceOfCurrentThread();
        int? lowered = null;
        var worker = new Thread(() =>
        {
            BackgroundPriority.LowerCurrentThread(10);
            lowered = NiceOfCurrentThread();
        });
        worker.Start();
        worker.Join();
        Assert.Equal(Math.Max(before, 10), lowered);
        Assert.Equal(before, NiceOfCurrentThread());
    }

    // Field 19 of /proc/thread-self/stat is the nice value; the fields after the parenthesized command name are space-separated.
    private static int NiceOfCurrentThread()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture);
    }
}

using Kernel.Checkpoints;

namespace Kernel.Tests.Checkpoints;

public sealed class DirectorySyncTests
{
    [Fact]
    public void Flush_OnUnix_ReachesFsync()
    {
        using var dir = new TempDirectory("dirsync");
        DirectorySync.Flush(dir.Path);
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            Assert.True(DirectorySync.IsAvailable, "libc's open/fsync/close could not be loaded: directory entries would not be made durable");
    }

    [Fact]
    public void Flush_MissingDirectory_ThrowsNamingIt()
    {
        if (OperatingSystem.IsWindows()) return;
        var missing = Path.Combine(Path.GetTempPath(), "kernel-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<IOException>(() => DirectorySync.Flush(missing));
        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }
}

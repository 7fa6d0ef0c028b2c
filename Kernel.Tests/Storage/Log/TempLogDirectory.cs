namespace Kernel.Tests.Storage.Log;

/// <summary>A fresh directory under the temp folder, deleted on dispose.</summary>
internal sealed class TempLogDirectory : IDisposable
{
    public TempLogDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "kernel-log-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string[] SegmentFiles() => Directory.GetFiles(Path, "*.seg").Order(StringComparer.Ordinal).ToArray();

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

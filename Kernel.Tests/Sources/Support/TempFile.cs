namespace Kernel.Tests.Sources.Support;

/// <summary>A uniquely named file in a fresh temp directory, deleted with the directory on dispose.</summary>
public sealed class TempFile : IDisposable
{
    public TempFile(string name, byte[] contents)
    {
        Directory = Path.Combine(Path.GetTempPath(), "kernel-sources-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        FilePath = Path.Combine(Directory, name);
        File.WriteAllBytes(FilePath, contents);
    }

    public string Directory { get; }

    public string FilePath { get; }

    public string Sibling(string name) => Path.Combine(Directory, name);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}

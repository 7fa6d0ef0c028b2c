namespace Kernel.Tests.Generators;

/// <summary>Finds the repository root from the test binaries (baselines and docs are read from source).</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kernel.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Kernel.sln not found above " + AppContext.BaseDirectory);
    });

    public static string Root => s_root.Value;

    public static string Baselines => Path.Combine(Root, "Kernel.Tests", "Generators", "Baselines");
}

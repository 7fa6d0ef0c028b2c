using Revenue.Generation;

namespace Revenue;

/// <summary>
/// The job <c>revenue</c> runs with no arguments. Until the engine's pieces land it generates the
/// embedded default order stream into its data directory and says where it is.
/// </summary>
internal static class HeadlineJob
{
    /// <summary>Runs the job; returns the exit code.</summary>
    public static int Run()
    {
        var dir = Path.Combine(Environment.CurrentDirectory, "revenue-data");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, "orders.csv");
        var settings = new OrderStreamSettings { Orders = 200_000, Days = 3 };
        using (var file = File.Create(path))
            new OrderGenerator(settings).Write(file);
        Console.WriteLine($"Kernel revenue sample: wrote {settings.Orders:N0} orders over {settings.Days} days to {path}");
        return 0;
    }
}

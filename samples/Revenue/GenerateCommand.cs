using Revenue.Cli;
using Revenue.Generation;

namespace Revenue;

/// <summary><c>revenue generate</c>: writes a seeded, realistic orders.csv.</summary>
internal static class GenerateCommand
{
    /// <summary>Runs the command; returns the exit code.</summary>
    public static int Run(CommandLine cl)
    {
        var settings = new OrderStreamSettings
        {
            Orders = cl.Int64("orders", 1_000_000, min: 0),
            Days = (int)cl.Int64("days", 7, min: 1),
            Seed = cl.Int64("seed", 42),
            LateFraction = cl.Fraction("late-fraction", 0.001),
        };
        var outPath = cl.Required("out");
        cl.RejectUnknown();

        // Written beside the target and renamed, so a crash never leaves half a file under the real name.
        var temp = outPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            new OrderGenerator(settings).Write(file, n => Console.Error.Write($"\rgenerated {n:N0} of {settings.Orders:N0} orders"));
        }
        File.Move(temp, outPath, overwrite: true);
        Console.Error.WriteLine();
        return 0;
    }
}

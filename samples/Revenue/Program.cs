namespace Revenue;

/// <summary>The headline job's command line. A placeholder until the sample's own issue.</summary>
internal static class Program
{
    private static int Main()
    {
        Console.WriteLine("Kernel revenue sample: the headline job arrives with the generator and event time.");
        return 0;
    }
}

namespace Kernel.Tests.Host;

/// <summary>Prints its arguments and exits 0: proves the harness can start a child and read it.</summary>
public sealed class EchoScenario : IChildScenario
{
    /// <inheritdoc />
    public string Name => "echo";

    /// <inheritdoc />
    public int Run(string[] args)
    {
        Console.WriteLine(string.Join(' ', args));
        return 0;
    }
}

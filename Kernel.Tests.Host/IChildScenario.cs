namespace Kernel.Tests.Host;

/// <summary>
/// Work a fault-injection test runs in a child process so it can be killed at any instant.
/// Scenarios are found by reflection: adding one touches no shared file.
/// </summary>
public interface IChildScenario
{
    /// <summary>The name the test passes as the first argument.</summary>
    string Name { get; }

    /// <summary>Runs the scenario with the remaining arguments; the return value is the exit code.</summary>
    int Run(string[] args);
}

using System.Diagnostics;

namespace Kernel.Tests.Infrastructure;

/// <summary>
/// Starts <c>Kernel.Tests.Host</c> (the built DLL, never <c>dotnet run</c>) in a child process
/// for fault-injection tests: run a scenario, kill it at a chosen moment, read what it printed.
/// </summary>
internal static class ChildProcess
{
    /// <summary>The host DLL copied beside the test assembly by the project reference.</summary>
    public static string HostDll => Path.Combine(AppContext.BaseDirectory, "Kernel.Tests.Host.dll");

    /// <summary>Starts a scenario with redirected output; the caller owns (and kills or waits for) the process.</summary>
    public static Process Start(string scenario, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(HostDll);
        psi.ArgumentList.Add(scenario);
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + HostDll);
    }

    /// <summary>Runs a scenario to completion and returns its exit code and output.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string scenario, params string[] args)
    {
        using var p = Start(scenario, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{scenario} did not finish in 2 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

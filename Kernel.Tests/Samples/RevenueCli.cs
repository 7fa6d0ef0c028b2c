using System.Diagnostics;

namespace Kernel.Tests.Samples;

/// <summary>Runs the built revenue DLL (never <c>dotnet run</c>) and captures its exit code and output.</summary>
internal static class RevenueCli
{
    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args) => RunIn(null, args);

    /// <summary>Runs it in <paramref name="workingDirectory"/> (the headline job writes its data directory there).</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunIn(string? workingDirectory, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "revenue.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("revenue " + string.Join(' ', args) + " did not finish in 3 minutes");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

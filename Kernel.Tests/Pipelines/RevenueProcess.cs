using System.Diagnostics;
using Kernel.Checkpoints;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// Runs the built revenue DLL (beside the test assembly) as a child process that a test may
/// SIGKILL, with or without a crash point armed.
/// </summary>
internal sealed class RevenueProcess : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly System.Text.StringBuilder _stderr = new();
    private readonly TaskCompletionSource _stderrClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(string Marker, TaskCompletionSource Seen)> _waiters = [];

    private RevenueProcess(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        process.ErrorDataReceived += OnStderr;
        process.BeginErrorReadLine();
    }

    /// <summary>Everything written to stderr so far.</summary>
    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    /// <summary>True once a stderr line contains <paramref name="marker"/>; false when stderr closes (the process ended) first.</summary>
    public async Task<bool> WaitForLineAsync(string marker, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stderr)
        {
            if (_stderr.ToString().Contains(marker, StringComparison.Ordinal)) return true;
            _waiters.Add((marker, seen));
        }
        var done = await Task.WhenAny(seen.Task, _stderrClosed.Task).WaitAsync(timeout);
        return done == seen.Task;
    }

    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            _stderrClosed.TrySetResult();
            return;
        }
        lock (_stderr)
        {
            _stderr.Append(e.Data).Append('\n');
            foreach (var (marker, seen) in _waiters)
                if (e.Data.Contains(marker, StringComparison.Ordinal)) seen.TrySetResult();
        }
    }

    public static RevenueProcess Start(string? crashAt, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "revenue.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (crashAt is null) psi.Environment.Remove(CrashPoints.EnvironmentVariable);
        else psi.Environment[CrashPoints.EnvironmentVariable] = crashAt;
        var process = Process.Start(psi)!;
        process.StandardInput.Close();
        return new RevenueProcess(process);
    }

    /// <summary>Runs to the end (or the timeout, which fails the test).</summary>
    public static (int ExitCode, string Stderr) Run(string? crashAt, params string[] args)
    {
        using var p = Start(crashAt, args);
        return p.WaitForExit();
    }

    public (int ExitCode, string Stderr) WaitForExit()
    {
        if (!_process.WaitForExit(s_timeout))
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
            throw new TimeoutException($"revenue did not finish in {s_timeout}: {Stderr}");
        }
        _process.WaitForExit(); // also waits for the stderr events to drain
        return (_process.ExitCode, Stderr + _stdout.Result);
    }

    /// <summary>Waits up to <paramref name="milliseconds"/> for the process to end by itself; true when it did.</summary>
    public bool TryWaitForExit(int milliseconds) => _process.WaitForExit(milliseconds);

    /// <summary>SIGKILLs the process if it still runs; true when it was killed (false: it had already exited).</summary>
    public bool Kill()
    {
        if (_process.HasExited) return false;
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            return false;
        }
        _process.WaitForExit();
        return true;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}

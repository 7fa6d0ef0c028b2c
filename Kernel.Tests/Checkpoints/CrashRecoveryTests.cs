using System.Diagnostics;
using System.Globalization;
using System.Text;
using Kernel.Checkpoints;
using Kernel.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kernel.Tests.Checkpoints;

/// <summary>
/// Kills the checkpoint-pipeline scenario (Kernel.Tests.Host/Checkpoints) at named crash points and
/// at seeded random ones, restarts it until it finishes, and checks the committed CSV equals an
/// uninterrupted run's: one header, every row exactly once, in order.
/// </summary>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const int TotalRows = 60;
    private const int RowsPerEpoch = 10;
    private const int KeepLast = 2;
    private static readonly TimeSpan s_childTimeout = TimeSpan.FromSeconds(90);

    private readonly TempDirectory _dir = new("crash");

    public void Dispose() => _dir.Dispose();

    /// <summary>Every point the pipeline reaches, with a hit that falls mid-run (6 checkpoints of 10 rows; pruning from the 3rd).</summary>
    public static TheoryData<string> NamedPoints() =>
    [
        "mid-epoch@25",
        "after-snapshot@3",
        "after-precommit@3",
        "before-manifest@3",
        "after-manifest@3",
        "mid-commit@3",
        "after-commit@3",
        "mid-prune@1",
        "after-manifest@6",
        "mid-commit@6",
    ];

    private static readonly string[] s_points =
        ["mid-epoch", "after-snapshot", "after-precommit", "before-manifest", "after-manifest", "mid-commit", "after-commit", "mid-prune"];

    /// <summary>What an uninterrupted run commits, computed here, independently of the sink.</summary>
    private static string Expected()
    {
        var csv = new StringBuilder("seq,product,amount\n");
        for (long i = 0; i < TotalRows; i++)
            csv.Append(CultureInfo.InvariantCulture, $"{i},{i % 5},{(i * 37 % 101) + 1}\n");
        return csv.ToString();
    }

    private (int ExitCode, string Stdout, string Stderr) RunChild(string? crashAt)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ChildProcess.HostDll);
        foreach (var a in new[] { "checkpoint-pipeline", _dir.Path, $"{TotalRows}", $"{RowsPerEpoch}", $"{KeepLast}" })
            psi.ArgumentList.Add(a);
        if (crashAt is null) psi.Environment.Remove(CrashPoints.EnvironmentVariable);
        else psi.Environment[CrashPoints.EnvironmentVariable] = crashAt;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_childTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the pipeline (crash at {crashAt ?? "none"}) did not finish in {s_childTimeout}");
        }
        output.WriteLine($"[{crashAt ?? "clean"}] exit {process.ExitCode}\n{stdout.Result}{stderr.Result}");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    private void AssertCrashedAt(string crashAt, (int ExitCode, string Stdout, string Stderr) run)
    {
        var point = crashAt.Split('@')[0];
        Assert.True(run.ExitCode != 0, $"{crashAt}: the child should have died, but exited 0");
        Assert.Contains($"crashing at '{point}'", run.Stderr, StringComparison.Ordinal);
    }

    private void FinishAndAssertOutput(string context)
    {
        var final = RunChild(null);
        Assert.True(final.ExitCode == 0, $"{context}: the restarted pipeline exited {final.ExitCode}: {final.Stderr}");
        Assert.Equal(Expected(), File.ReadAllText(Path.Combine(_dir.Path, "out.csv")));
        Assert.Empty(Directory.EnumerateFiles(_dir.Path, "*.staged"));
    }

    [Fact]
    public void Uninterrupted_Run_CommitsEveryRowOnce()
    {
        FinishAndAssertOutput("clean run");
        Assert.Equal(KeepLast, Directory.EnumerateDirectories(Path.Combine(_dir.Path, "checkpoints")).Count());
    }

    [Theory]
    [MemberData(nameof(NamedPoints))]
    public void Crash_AtNamedPoint_RestartCommitsEveryRowOnce(string crashAt)
    {
        AssertCrashedAt(crashAt, RunChild(crashAt));
        FinishAndAssertOutput(crashAt);
    }

    [Fact]
    public void Crash_InTheBeforeManifestWindow_RestartSaysItFellBack()
    {
        // The crash leaves checkpoint 3 with state files and a temporary manifest but no manifest.
        AssertCrashedAt("before-manifest@3", RunChild("before-manifest@3"));
        Assert.True(File.Exists(Path.Combine(_dir.Path, "checkpoints", "3", "manifest.tmp")));
        var restart = RunChild(null);
        Assert.Contains("checkpoint 3", restart.Stderr, StringComparison.Ordinal);
        Assert.Contains("incomplete", restart.Stderr, StringComparison.Ordinal);
        Assert.Contains("resumed at 20 from checkpoint 2", restart.Stdout, StringComparison.Ordinal);
        Assert.Equal(Expected(), File.ReadAllText(Path.Combine(_dir.Path, "out.csv")));
    }

    [Fact]
    public void CrashSpec_WithABadHitCount_FailsNamingTheVariable()
    {
        var run = RunChild("mid-commit@zero");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("KERNEL_CRASH_AT='mid-commit@zero'", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("positive hit count", run.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Crash_AtSeededRandomPoints_RestartsCommitEveryRowOnce(int seed) => RandomCrashes(seed, crashes: 3);

    [Theory]
    [Trait("Category", "Soak")]
    [MemberData(nameof(SoakSeeds))]
    public void Soak_Crash_AtSeededRandomPoints_RestartsCommitEveryRowOnce(int seed) => RandomCrashes(seed, crashes: 6);

    public static TheoryData<int> SoakSeeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 100; seed < 300; seed++) seeds.Add(seed);
        return seeds;
    }

    /// <summary>Several crashes in a row, each at a random point and hit chosen from the seed, then a clean finish.</summary>
    private void RandomCrashes(int seed, int crashes)
    {
        var random = new Random(seed);
        var plan = new List<string>();
        for (var i = 0; i < crashes; i++)
        {
            var point = s_points[random.Next(s_points.Length)];
            var hit = point == "mid-epoch" ? random.Next(1, RowsPerEpoch * 3) : random.Next(1, 4);
            var crashAt = $"{point}@{hit}";
            plan.Add(crashAt);
            var run = RunChild(crashAt);
            // A hit beyond what is left of the run is never reached: the pipeline finishes instead.
            Assert.True(run.ExitCode == 0 || run.Stderr.Contains($"crashing at '{point}'", StringComparison.Ordinal),
                $"seed {seed}, plan {string.Join(" ", plan)}: exit {run.ExitCode} without the planned crash: {run.Stderr}");
        }
        FinishAndAssertOutput($"seed {seed}, plan {string.Join(" ", plan)}");
    }
}

using System.Diagnostics;
using Kernel.Checkpoints;
using Kernel.Tests.Checkpoints;
using Kernel.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// Many cheap kill-and-restart cycles of the durable pipeline (journal, windowed operator,
/// transactional sinks; Kernel.Tests.Host scenario <c>durable-revenue</c>) on a small input. Each kill
/// is a named crash point with a seeded hit count, rotating through every point the pipeline has —
/// mid-batch (between the chunks of one publish), mid-replay (recovery), at the barrier on the
/// operator's thread, before-lsm-write (captured and encoded, nothing in the store), mid-lsm-flush (the operator's changes flushed into the live state store, its
/// checkpoint not taken yet), and each step of the checkpoint protocol — so the narrow windows are hit on
/// purpose. A cycle restarts until a run finishes; its committed CSVs must equal the uninterrupted
/// run's byte for byte. Cycles repeat until the seed has its kills.
/// </summary>
public sealed class DurableKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Orders = 12_000;
    private const int PerCheckpoint = 1_500;
    private const int PerPublish = 1_200;
    private static readonly TimeSpan s_childTimeout = TimeSpan.FromSeconds(90);

    /// <summary>Each point with the largest hit count a run is likely to reach.</summary>
    private static readonly (string Point, int MaxHit)[] s_points =
    [
        ("mid-batch", 12),
        ("at-barrier", 5),
        ("after-snapshot", 5),
        ("mid-replay", 1),
        ("after-precommit", 5),
        ("before-manifest", 5),
        ("after-manifest", 5),
        ("mid-commit", 8),
        ("after-commit", 5),
        ("mid-prune", 2),
        ("mid-lsm-flush", 5),
        ("before-lsm-write", 5),
    ];

    private readonly TempDirectory _dir = new("durable-kill");

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, 18)]
    [InlineData(2, 18)]
    [InlineData(3, 18)]
    public void NamedCrashes_ManyCycles_CommitTheUninterruptedBytes(int seed, int kills)
    {
        var reference = Path.Combine(_dir.Path, "reference");
        var clean = RunChild(reference, seed, null);
        Assert.True(clean.ExitCode == 0, $"seed {seed}: the uninterrupted run exited {clean.ExitCode}: {clean.Stderr}");
        var rows = File.ReadAllBytes(Path.Combine(reference, "rows.csv"));
        var late = File.ReadAllBytes(Path.Combine(reference, "late.csv"));
        Assert.True(rows.Count(b => b == '\n') > 400, $"seed {seed}: the reference committed too few rows");
        Assert.True(late.Count(b => b == '\n') > 10, $"seed {seed}: the reference should hold late orders");

        var rng = new Random(seed);
        var killed = new List<string>();
        var cycle = 0;
        var step = seed; // where the rotation over the points starts
        while (killed.Count < kills)
        {
            var dir = Path.Combine(_dir.Path, $"cycle-{cycle}");
            var inCycle = 0;
            while (true)
            {
                Assert.True(inCycle < 40, $"seed {seed}, cycle {cycle}: no run finished after {inCycle} kills: {string.Join(" ", killed)}");
                var (point, maxHit) = s_points[step++ % s_points.Length];
                var crashAt = $"{point}@{rng.Next(1, maxHit + 1)}";
                var run = RunChild(dir, seed, crashAt);
                if (run.ExitCode == 0) break; // the armed hit was never reached: this run finished the input
                Assert.True(run.Stderr.Contains($"crashing at '{point}'", StringComparison.Ordinal),
                    $"seed {seed}, cycle {cycle}, {crashAt}: exited {run.ExitCode} without the planned crash: {run.Stderr}");
                killed.Add($"{cycle}:{crashAt}");
                inCycle++;
            }
            output.WriteLine($"seed {seed}, cycle {cycle}: {inCycle} kills");
            var context = $"seed {seed}, cycle {cycle}, kills {string.Join(" ", killed)}";
            Assert.True(rows.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "rows.csv"))), $"{context}: rows.csv differs from the uninterrupted run's");
            Assert.True(late.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(dir, "late.csv"))), $"{context}: late.csv differs from the uninterrupted run's");
            Assert.Empty(Directory.EnumerateFiles(dir, "*.staged"));
            cycle++;
        }
        output.WriteLine($"seed {seed}: {killed.Count} kills in {cycle} cycles: {string.Join(" ", killed)}");
    }

    private (int ExitCode, string Stdout, string Stderr) RunChild(string dir, int seed, string? crashAt)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ChildProcess.HostDll);
        foreach (var a in new[] { "durable-revenue", dir, $"{Orders}", $"{PerCheckpoint}", $"{PerPublish}", $"{seed}" })
            psi.ArgumentList.Add(a);
        if (crashAt is null) psi.Environment.Remove(CrashPoints.EnvironmentVariable);
        else psi.Environment[CrashPoints.EnvironmentVariable] = crashAt;
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_childTimeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"seed {seed}: the pipeline (crash at {crashAt ?? "none"}) did not finish in {s_childTimeout}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}

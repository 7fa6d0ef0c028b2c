using Kernel.Tests.Samples;
using Xunit.Abstractions;

namespace Kernel.Tests.Pipelines;

/// <summary>Generates the input once and runs it uninterrupted: the bytes every killed run must end with.</summary>
public sealed class RevenueKillFixture : IDisposable
{
    public RevenueKillFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("kernel-revenue-kill-").FullName;
        Orders = Path.Combine(Directory, "orders.csv");
        var generate = RevenueProcess.Run(null, "generate", "--orders", "60000", "--days", "3", "--seed", "21", "--late-fraction", "0.01", "--out", Orders);
        if (generate.ExitCode != 0) throw new InvalidOperationException("generate failed: " + generate.Stderr);
        var dir = Path.Combine(Directory, "reference");
        var run = RevenueProcess.Run(null, RevenueKillTests.StreamArgs(Orders, dir));
        if (run.ExitCode != 0) throw new InvalidOperationException("the uninterrupted run failed: " + run.Stderr);
        Revenue = File.ReadAllBytes(Path.Combine(dir, "revenue.csv"));
        Late = File.ReadAllBytes(Path.Combine(dir, "late.csv"));
        ReferenceStderr = run.Stderr;
    }

    public string Directory { get; }

    public string Orders { get; }

    public byte[] Revenue { get; }

    public byte[] Late { get; }

    public string ReferenceStderr { get; }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// Kills <c>revenue stream</c> (the built DLL, in a child process) at named crash points and at
/// seeded random moments, starts it again with the same arguments until it finishes, and checks
/// that revenue.csv and late.csv are byte for byte those of an uninterrupted run — which is itself
/// checked against the independent oracle. The input is paced (<c>--rate</c>) and checkpoints are
/// frequent, so kills land mid-stream, between and inside checkpoints.
/// </summary>
public sealed class RevenueKillTests(RevenueKillFixture fixture, ITestOutputHelper output) : IClassFixture<RevenueKillFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-revenue-killrun-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    internal static string[] StreamArgs(string orders, string dir, int rate = 50_000) =>
    [
        "stream", "--input", orders, "--data", Path.Combine(dir, "data"), "--out", Path.Combine(dir, "revenue.csv"),
        "--late-out", Path.Combine(dir, "late.csv"), "--checkpoint-interval", "40ms", "--rate", rate.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    [Fact]
    public void Reference_AgreesWithTheOracle()
    {
        var orders = RevenueOracle.ReadOrders(fixture.Orders);
        var (rows, late) = RevenueOracle.Stream(orders, 600_000, 3_600_000);
        var path = Path.Combine(_dir, "reference.csv");
        File.WriteAllBytes(path, fixture.Revenue);
        Assert.Equal(rows, RevenueOracle.ReadRevenue(path));
        Assert.True(late.Count > 50, $"the input should hold late orders, found {late.Count}");
        var lateLines = System.Text.Encoding.UTF8.GetString(fixture.Late).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(late.Select(o => o.Line), lateLines.Skip(1));
    }

    public static TheoryData<string> NamedPoints() =>
    [
        "after-snapshot@2",
        "after-precommit@2",
        "before-manifest@2",
        "after-manifest@2",
        "mid-commit@3",
        "after-commit@2",
        "mid-prune@1",
        "mid-lsm-flush@2",
        "before-outputs",
    ];

    [Theory]
    [MemberData(nameof(NamedPoints))]
    public void CrashAtNamedPoint_Restart_WritesTheUninterruptedBytes(string crashAt)
    {
        // Pruning starts once more checkpoints are complete than are kept: keeping one makes the
        // second checkpoint prune, so a slow, loaded run that completes only a few still reaches the point.
        string[] args = crashAt.StartsWith("mid-prune", StringComparison.Ordinal)
            ? [.. StreamArgs(fixture.Orders, _dir), "--keep-checkpoints", "1"]
            : StreamArgs(fixture.Orders, _dir);
        var crashed = RevenueProcess.Run(crashAt, args);
        output.WriteLine($"[{crashAt}] exit {crashed.ExitCode}\n{crashed.Stderr}");
        Assert.True(crashed.ExitCode != 0, $"{crashAt}: the run should have died, but exited 0: {crashed.Stderr}");
        Assert.Contains($"crashing at '{crashAt.Split('@')[0]}'", crashed.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "revenue.csv")), $"{crashAt}: revenue.csv must not exist before the input ended");
        Assert.Contains("recovered from checkpoint", FinishAndCompare(args, crashAt), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public Task RandomKills_Restart_WritesTheUninterruptedBytes(int seed) => KillAtRandom(seed, kills: 3);

    [Theory]
    [Trait("Category", "Soak")]
    [MemberData(nameof(SoakSeeds))]
    public Task Soak_RandomKills_Restart_WritesTheUninterruptedBytes(int seed) => KillAtRandom(seed, kills: 6);

    public static TheoryData<int> SoakSeeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 1000; seed < 1060; seed++) data.Add(seed);
        return data;
    }

    private async Task KillAtRandom(int seed, int kills)
    {
        var rng = new Random(seed);
        var args = StreamArgs(fixture.Orders, _dir);
        var killedAt = new List<int>();
        var stderr = new System.Text.StringBuilder();
        for (var k = 0; k < kills; k++)
        {
            using var process = RevenueProcess.Start(null, args);
            // Once the run has recovered and started reading, the kill comes at a random instant:
            // mid-batch, mid-replay of a later run, inside or between checkpoints, or at the end.
            var reading = await process.WaitForLineAsync("stream: reading", TimeSpan.FromSeconds(60));
            var delayMs = rng.Next(0, 1_000);
            if (reading && !process.TryWaitForExit(delayMs) && process.Kill())
            {
                killedAt.Add(delayMs);
                stderr.Append(process.Stderr);
                continue;
            }
            var (exit, text) = process.WaitForExit();
            Assert.True(exit == 0, $"seed {seed}: run {k} exited {exit}: {text}");
            stderr.Append(text);
            break;
        }
        output.WriteLine($"seed {seed}: killed {string.Join(", ", killedAt)} ms after reading started");
        var final = FinishAndCompare(args, $"seed {seed}, kills {string.Join(", ", killedAt)} ms after reading started");
        // The kills landed mid-stream: some run after one of them found journaled orders or a checkpoint.
        Assert.True(killedAt.Count == 0 || (stderr + final).Contains("recovered from checkpoint", StringComparison.Ordinal),
            $"seed {seed}: no run recovered anything after kills at {string.Join(", ", killedAt)} ms: {stderr}{final}");
    }

    private string FinishAndCompare(string[] args, string context)
    {
        var final = RevenueProcess.Run(null, args);
        output.WriteLine($"[{context}] final run exit {final.ExitCode}\n{final.Stderr}");
        Assert.True(final.ExitCode == 0, $"{context}: the restarted run exited {final.ExitCode}: {final.Stderr}");
        Assert.True(fixture.Revenue.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "revenue.csv"))),
            $"{context}: revenue.csv differs from the uninterrupted run's");
        Assert.True(fixture.Late.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "late.csv"))),
            $"{context}: late.csv differs from the uninterrupted run's");
        return final.Stderr;
    }
}

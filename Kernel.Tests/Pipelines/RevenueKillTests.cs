using Kernel.Tests.Samples;
using Xunit.Abstractions;

namespace Kernel.Tests.Pipelines;

/// <summary>
/// Generates the input once and runs it uninterrupted, as the kill tests run it and with a state
/// budget: the bytes every killed run must end with.
/// </summary>
public sealed class RevenueKillFixture : IDisposable
{
    public RevenueKillFixture()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("kernel-revenue-kill-").FullName;
        Orders = Path.Combine(Directory, "orders.csv");
        var generate = RevenueProcess.Run(null, "generate", "--orders", "60000", "--days", "3", "--seed", "21", "--late-fraction", "0.01", "--out", Orders);
        if (generate.ExitCode != 0) throw new InvalidOperationException("generate failed: " + generate.Stderr);
        (Revenue, Late, ReferenceStderr) = Uninterrupted(RevenueKillTests.StreamArgs(Orders, Path.Combine(Directory, "reference")));
        (BudgetRevenue, BudgetLate, BudgetReferenceStderr) = Uninterrupted(RevenueKillTests.BudgetArgs(Orders, Path.Combine(Directory, "budget-reference")));
    }

    public string Directory { get; }

    public string Orders { get; }

    public byte[] Revenue { get; }

    public byte[] Late { get; }

    public string ReferenceStderr { get; }

    /// <summary>revenue.csv of the uninterrupted run with a state budget (and a day of lateness, see <see cref="RevenueKillTests.BudgetArgs"/>).</summary>
    public byte[] BudgetRevenue { get; }

    public byte[] BudgetLate { get; }

    public string BudgetReferenceStderr { get; }

    private static (byte[] Revenue, byte[] Late, string Stderr) Uninterrupted(string[] args)
    {
        var run = RevenueProcess.Run(null, args);
        if (run.ExitCode != 0) throw new InvalidOperationException($"the uninterrupted run of '{string.Join(' ', args)}' failed: {run.Stderr}");
        var dir = Path.GetDirectoryName(args[Array.IndexOf(args, "--out") + 1])!;
        return (File.ReadAllBytes(Path.Combine(dir, "revenue.csv")), File.ReadAllBytes(Path.Combine(dir, "late.csv")), run.Stderr);
    }

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

    /// <summary>
    /// The named crash points' runs: besides the interval ones, a checkpoint after every 10,000 orders
    /// read, so a run passes at least six whatever the load. Timed checkpoints alone made the count of
    /// checkpoints (and of sink commits) depend on the machine: a starved process reads its paced input
    /// in one burst after start-up, took only its final checkpoint (two sink commits), never reached
    /// <c>mid-commit@3</c> and exited 0.
    /// </summary>
    internal static string[] NamedPointArgs(string orders, string dir) => [.. StreamArgs(orders, dir), "--checkpoint-every", "10000"];

    /// <summary>
    /// A run with a state budget of 300 (product, day) entries (some 3,000 products sell each day), a
    /// day of lateness (a closed day stays a whole day inside it, its entries in the state store, and
    /// the generator's 26–50 h late orders find them there or go to late.csv), and a checkpoint after every
    /// 2,000 orders only: the n-th checkpoint falls at the same order in every run, so a crash point's
    /// n-th hit does too (no pacing needed).
    /// </summary>
    internal static string[] BudgetArgs(string orders, string dir) =>
    [
        "stream", "--input", orders, "--data", Path.Combine(dir, "data"), "--out", Path.Combine(dir, "revenue.csv"),
        "--late-out", Path.Combine(dir, "late.csv"), "--lateness", "1d", "--state-budget", "300",
        "--checkpoint-every", "2000", "--checkpoint-interval", "1h",
    ];

    [Fact]
    public void Reference_AgreesWithTheOracle() => AssertAgreesWithTheOracle(fixture.Revenue, fixture.Late, latenessMs: 3_600_000);

    [Fact]
    public void BudgetReference_AgreesWithTheOracle_AndSpilled()
    {
        AssertAgreesWithTheOracle(fixture.BudgetRevenue, fixture.BudgetLate, latenessMs: 86_400_000);
        // The budget was in force: entries left memory for the store, and late orders read them back.
        var (moved, readBack) = SpillCounts(fixture.BudgetReferenceStderr);
        Assert.True(moved > 1_000 && readBack > 0, $"the budgeted run moved {moved} entries to the store and read {readBack} back: {fixture.BudgetReferenceStderr}");
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
            ? [.. NamedPointArgs(fixture.Orders, _dir), "--keep-checkpoints", "1"]
            : NamedPointArgs(fixture.Orders, _dir);
        CrashAt(crashAt, args);
        Assert.Contains("recovered from checkpoint", FinishAndCompare(args, crashAt), StringComparison.Ordinal);
    }

    /// <summary>
    /// Points after the budget took effect: the first day closed at about order 20,000 (checkpoint 10)
    /// and its entries left memory at the checkpoints after; the second closes near order 40,000, when
    /// the first is released from the store. The restarted run restores them all into memory, spills
    /// again at its next checkpoints, and must end with the uninterrupted budgeted run's bytes.
    /// </summary>
    public static TheoryData<string> BudgetPoints() =>
    [
        "mid-lsm-flush@14",
        "at-barrier@17",
        "before-lsm-write@21",
        "after-manifest@24",
        "mid-commit@3",
    ];

    [Theory]
    [MemberData(nameof(BudgetPoints))]
    public void WithAStateBudget_CrashAtNamedPoint_Restart_WritesTheUninterruptedBytes(string crashAt)
    {
        var args = BudgetArgs(fixture.Orders, _dir);
        CrashAt(crashAt, args);
        var final = FinishAndCompare(args, crashAt, fixture.BudgetRevenue, fixture.BudgetLate);
        Assert.Contains("recovered from checkpoint", final, StringComparison.Ordinal);
        var (moved, _) = SpillCounts(final);
        Assert.True(moved > 0, $"{crashAt}: the restarted run moved nothing to the store: {final}");
    }

    /// <summary>
    /// Crash points of the budgeted run that a random kill draws from, each with the largest hit count
    /// drawn. A run makes a checkpoint (and a sink commit) per 2,000 orders, about 30 in all, fewer after
    /// a restart: a kill every 1–9 checkpoints lets three or more land before the end, most after the
    /// budget took effect (checkpoint 10). The sink commits less often than the checkpoints (a run may
    /// make as few as a dozen), so the commit points draw at most 3, and the first run draws from the six
    /// points before them. A count past the end lets the run finish (the kills end there).
    /// </summary>
    private static readonly (string Point, int MaxHit)[] s_budgetKillPoints =
    [
        ("at-barrier", 9), ("after-snapshot", 9), ("before-lsm-write", 9), ("mid-lsm-flush", 9),
        ("after-precommit", 9), ("after-manifest", 9), ("mid-commit", 3), ("after-commit", 3),
        ("mid-batch", 100), ("mid-replay", 2), ("before-outputs", 1),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void WithAStateBudget_RandomKills_Restart_WritesTheOraclesRows(int seed) => KillBudgetedAtRandom(seed, kills: 3);

    [Theory]
    [Trait("Category", "Soak")]
    [MemberData(nameof(BudgetSoakSeeds))]
    public void Soak_WithAStateBudget_RandomKills_Restart_WritesTheOraclesRows(int seed) => KillBudgetedAtRandom(seed, kills: 6);

    public static TheoryData<int> BudgetSoakSeeds()
    {
        var data = new TheoryData<int>();
        for (var seed = 2000; seed < 2040; seed++) data.Add(seed);
        return data;
    }

    /// <summary>
    /// Up to <paramref name="kills"/> runs of the budgeted pipeline, each killed at a crash point and hit
    /// drawn from the seed (the first always a checkpoint point early enough to be reached), each
    /// restarting from what the last left; then a run to the end. Its output must be the uninterrupted
    /// budgeted run's bytes and the oracle's rows: every order counted exactly once.
    /// </summary>
    private void KillBudgetedAtRandom(int seed, int kills)
    {
        var rng = new Random(seed);
        var args = BudgetArgs(fixture.Orders, _dir);
        var killedAt = new List<string>();
        for (var k = 0; k < kills; k++)
        {
            var (point, maxHit) = k == 0 ? s_budgetKillPoints[rng.Next(6)] : s_budgetKillPoints[rng.Next(s_budgetKillPoints.Length)];
            var crashAt = $"{point}@{rng.Next(1, (k == 0 ? 12 : maxHit) + 1)}";   // the first lands at checkpoint 1–12
            var run = RevenueProcess.Run(crashAt, args);
            output.WriteLine($"seed {seed}: run {k} armed at {crashAt}, exit {run.ExitCode}\n{run.Stderr}");
            if (run.ExitCode == 0) break;   // the armed hit was never reached: the input is done
            Assert.True(run.Stderr.Contains($"crashing at '{point}'", StringComparison.Ordinal),
                $"seed {seed}: run {k} armed at {crashAt} failed without crashing there: {run.Stderr}");
            killedAt.Add(crashAt);
        }
        var context = $"seed {seed}, kills at {string.Join(", ", killedAt)}";
        Assert.True(killedAt.Count > 0, $"{context}: no run was killed");
        var final = FinishAndCompare(args, context, fixture.BudgetRevenue, fixture.BudgetLate);
        var (rows, _) = RevenueOracle.Stream(RevenueOracle.ReadOrders(fixture.Orders), 600_000, 86_400_000);
        Assert.True(rows.SequenceEqual(RevenueOracle.ReadRevenue(Path.Combine(_dir, "revenue.csv"))), $"{context}: revenue.csv differs from the oracle's rows");
        var (moved, _) = SpillCounts(final);
        output.WriteLine($"{context}: the final run moved {moved} entries to the store");
    }

    /// <summary>revenue.csv and late.csv of an uninterrupted run against the oracle, with 10 minutes out of order and <paramref name="latenessMs"/>.</summary>
    private void AssertAgreesWithTheOracle(byte[] revenue, byte[] lateCsv, long latenessMs)
    {
        var orders = RevenueOracle.ReadOrders(fixture.Orders);
        var (rows, late) = RevenueOracle.Stream(orders, 600_000, latenessMs);
        var path = Path.Combine(_dir, "reference.csv");
        File.WriteAllBytes(path, revenue);
        Assert.Equal(rows, RevenueOracle.ReadRevenue(path));
        Assert.True(late.Count > 50, $"the input should hold orders late past {latenessMs} ms, found {late.Count}");
        var lateLines = System.Text.Encoding.UTF8.GetString(lateCsv).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(late.Select(o => o.Line), lateLines.Skip(1));
    }

    private void CrashAt(string crashAt, string[] args)
    {
        var crashed = RevenueProcess.Run(crashAt, args);
        output.WriteLine($"[{crashAt}] exit {crashed.ExitCode}\n{crashed.Stderr}");
        Assert.True(crashed.ExitCode != 0, $"{crashAt}: the run should have died, but exited 0: {crashed.Stderr}");
        Assert.Contains($"crashing at '{crashAt.Split('@')[0]}'", crashed.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "revenue.csv")), $"{crashAt}: revenue.csv must not exist before the input ended");
    }

    /// <summary>The counts of the line <c>stream: state budget …: this run moved M to the state store and read R back</c>.</summary>
    private static (long Moved, long ReadBack) SpillCounts(string stderr)
    {
        var m = System.Text.RegularExpressions.Regex.Match(stderr, @"this run moved ([\d,]+) to the state store and read ([\d,]+) back");
        Assert.True(m.Success, "no state budget line in: " + stderr);
        static long Count(string text) => long.Parse(text.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
        return (Count(m.Groups[1].Value), Count(m.Groups[2].Value));
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

    /// <summary>Kills beyond the requested ones, while no run has recovered from a checkpoint yet.</summary>
    private const int ExtraKills = 5;

    private async Task KillAtRandom(int seed, int kills)
    {
        var rng = new Random(seed);
        var args = StreamArgs(fixture.Orders, _dir);
        var killedAt = new List<int>();
        var stderr = new System.Text.StringBuilder();
        // The kills are timed, so on a starved machine all of them can land before the first
        // checkpoint completes and no run recovers anything. Then more kills follow, each later than
        // the last, until a run has recovered from a checkpoint (or the input ran to its end).
        for (var k = 0; k < kills + ExtraKills; k++)
        {
            if (k >= kills && stderr.ToString().Contains("recovered from checkpoint", StringComparison.Ordinal)) break;
            using var process = RevenueProcess.Start(null, args);
            // Once the run has recovered and started reading, the kill comes at a random instant:
            // mid-batch, mid-replay of a later run, inside or between checkpoints, or at the end.
            var reading = await process.WaitForLineAsync("stream: reading", TimeSpan.FromSeconds(60));
            var delayMs = rng.Next(0, 1_000) + (k < kills ? 0 : 500 << (k - kills));
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

    private string FinishAndCompare(string[] args, string context, byte[]? revenue = null, byte[]? late = null)
    {
        var final = RevenueProcess.Run(null, args);
        output.WriteLine($"[{context}] final run exit {final.ExitCode}\n{final.Stderr}");
        Assert.True(final.ExitCode == 0, $"{context}: the restarted run exited {final.ExitCode}: {final.Stderr}");
        Assert.True((revenue ?? fixture.Revenue).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "revenue.csv"))),
            $"{context}: revenue.csv differs from the uninterrupted run's");
        Assert.True((late ?? fixture.Late).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(_dir, "late.csv"))),
            $"{context}: late.csv differs from the uninterrupted run's");
        return final.Stderr;
    }
}

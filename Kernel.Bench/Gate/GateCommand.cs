using System.Diagnostics;
using System.Text.Json;
using Kernel.Bench.Quick;

namespace Kernel.Bench.Gate;

/// <summary>
/// <c>gate [--update-baseline] [--baseline path] [--scale f] [--only suite,suite] [--fail-on all|alloc]</c>: runs every quick suite at a
/// reduced scale, compares each ratio, allocation and metric with <c>baseline.json</c> within its
/// tolerance, re-measures a failing suite up to three times before a failure counts, prints a table
/// and exits 1 naming every regressed metric. Ratios are to baselines measured in the same
/// process, so a slower or busier machine moves both sides together. <c>--fail-on alloc</c> still
/// reports every regression but exits 1 only when a path whose baseline allocates nothing per
/// operation starts allocating (deterministic on any machine): what CI uses while ratio figures have
/// not been shown stable on its machine.
/// </summary>
public static class GateCommand
{
    private const int Attempts = 3;
    private static readonly JsonSerializerOptions s_json = new() { WriteIndented = true };

    /// <summary>Runs the gate; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var update = args.Contains("--update-baseline");
        var path = ArgAfter(args, "--baseline") ?? Path.Combine(FindBenchDirectory(), "baseline.json");
        QuickSettings.Scale = double.Parse(ArgAfter(args, "--scale") ?? "0.25", System.Globalization.CultureInfo.InvariantCulture);
        var baseline = File.Exists(path)
            ? JsonSerializer.Deserialize<SortedDictionary<string, GateEntry>>(File.ReadAllText(path)) ?? new()
            : new SortedDictionary<string, GateEntry>(StringComparer.Ordinal);

        var failOn = ArgAfter(args, "--fail-on") ?? "all";
        if (failOn is not ("all" or "alloc"))
        {
            Console.Error.WriteLine($"gate: --fail-on takes 'all' or 'alloc', not '{failOn}'");
            return 2;
        }
        var only = ArgAfter(args, "--only")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var watch = Stopwatch.StartNew();
        var measured = new SortedDictionary<string, GateMetric>(StringComparer.Ordinal);
        var failed = new List<string>();
        var timings = new List<string>();
        foreach (var suite in Program.DiscoverSuites().Values.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            if (only is not null && !only.Contains(suite.Name, StringComparer.Ordinal)) continue;
            var suiteWatch = Stopwatch.StartNew();
            var attempts = 0;
            var retriedFor = new List<string>();
            for (var attempt = 1; attempt <= Attempts; attempt++)
            {
                Console.Error.WriteLine($"gate: {suite.Name} (attempt {attempt})");
                attempts = attempt;
                var report = new QuickReport(TextWriter.Null);
                suite.Run(report);
                var bad = new List<string>();
                foreach (var m in report.Records.SelectMany(GateMetric.From))
                {
                    // Keep the best measurement across attempts: a re-measure exists to rule out noise.
                    if (!measured.TryGetValue(m.Name, out var prev) || Better(m, prev)) measured[m.Name] = m;
                    if (!update && baseline.TryGetValue(m.Name, out var e) && !measured[m.Name].Passes(e) && !e.WarnOnly)
                        bad.Add(m.Name);
                }
                if (bad.Count == 0 || update) break;
                Console.Error.WriteLine($"gate: {suite.Name} attempt {attempt} outside tolerance: {string.Join(", ", bad)}");
                if (attempt == Attempts) failed.AddRange(bad);
                else retriedFor.AddRange(bad);
            }
            // Which figure forced a re-measure is what to look at when the gate runs long or cries wolf.
            timings.Add($"{suite.Name} {suiteWatch.Elapsed.TotalSeconds:F0} s"
                + (attempts > 1 ? $" ({attempts} attempts; re-measured for {string.Join(", ", retriedFor.Distinct(StringComparer.Ordinal))})" : ""));
        }

        if (update)
        {
            foreach (var (name, m) in measured)
            {
                var entry = baseline.TryGetValue(name, out var e) ? e : new GateEntry { Tolerance = m.DefaultTolerance() };
                entry.Value = Math.Round(m.Value, 4);
                baseline[name] = entry;
            }
            File.WriteAllText(path, JsonSerializer.Serialize(baseline, s_json) + "\n");
            Console.WriteLine($"gate: wrote {measured.Count} metrics to {path}");
        }

        PrintTable(baseline, measured);
        foreach (var t in timings) Console.WriteLine($"gate: suite {t}");
        if (only is null && !update)
        {
            // A baseline figure nothing measures any more guards nothing: name it so it gets removed.
            var stale = baseline.Keys.Where(k => !measured.ContainsKey(k)).ToList();
            if (stale.Count > 0) Console.WriteLine($"gate: {stale.Count} baseline metric(s) not measured any more: {string.Join(", ", stale)}");
        }
        Console.WriteLine($"gate: {measured.Count} metrics in {watch.Elapsed.TotalSeconds:F0} s, {failed.Count} regressed");
        foreach (var f in failed) Console.WriteLine($"gate: REGRESSION {f}");
        var blocking = failOn == "alloc" ? failed.Where(f => IsZeroAllocationClaim(f, baseline)).ToList() : failed;
        if (failOn == "alloc" && failed.Count > blocking.Count)
            Console.WriteLine($"gate: --fail-on alloc: {failed.Count - blocking.Count} ratio/metric regression(s) reported, not failing");
        return blocking.Count == 0 ? 0 : 1;
    }

    // A path whose baseline allocates nothing per operation: it stays at zero on any machine. Paths
    // with a small nonzero figure (a checkpoint's or a flush's allocations spread over the events
    // between them) move with the machine's speed, so they are reported like ratios.
    private static bool IsZeroAllocationClaim(string metric, SortedDictionary<string, GateEntry> baseline) =>
        metric.EndsWith(":alloc_bytes_per_op", StringComparison.Ordinal)
        && baseline.TryGetValue(metric, out var e) && e.Value < 0.01;

    private static bool Better(GateMetric now, GateMetric before) =>
        now.Direction == GateDirection.Higher ? now.Value > before.Value : now.Value < before.Value;

    private static void PrintTable(SortedDictionary<string, GateEntry> baseline, SortedDictionary<string, GateMetric> measured)
    {
        Console.WriteLine($"{"metric",-58} {"baseline",12} {"measured",12} {"tolerance",10}  status");
        foreach (var (name, m) in measured)
        {
            var status = "new";
            string b = "-", t = "-";
            if (baseline.TryGetValue(name, out var e))
            {
                b = e.Value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
                t = e.Tolerance.ToString("G3", System.Globalization.CultureInfo.InvariantCulture);
                status = m.Passes(e) ? "ok" : e.WarnOnly ? "warn" : "FAIL";
            }
            Console.WriteLine($"{name,-58} {b,12} {m.Value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture),12} {t,10}  {status}");
        }
    }

    private static string? ArgAfter(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>The Kernel.Bench source folder (where baseline.json lives), found upward from the binary.</summary>
    private static string FindBenchDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "Kernel.Bench.csproj");
            if (File.Exists(candidate)) return dir.FullName;
            var nested = Path.Combine(dir.FullName, "Kernel.Bench", "Kernel.Bench.csproj");
            if (File.Exists(nested)) return Path.GetDirectoryName(nested)!;
        }
        return Environment.CurrentDirectory;
    }
}

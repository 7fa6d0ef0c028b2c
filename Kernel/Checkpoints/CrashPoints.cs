using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;

namespace Kernel.Checkpoints;

/// <summary>
/// Named crash points for fault-injection tests. When the environment variable
/// <c>KERNEL_CRASH_AT</c> is <c>&lt;point&gt;</c> or <c>&lt;point&gt;@&lt;n&gt;</c>, the process kills itself
/// (SIGKILL, nothing flushed, no finalizers) the first, or the n-th, time execution reaches that
/// point. Points in use: <c>after-snapshot</c>, <c>after-precommit</c>, <c>before-manifest</c>,
/// <c>after-manifest</c>, <c>mid-commit</c>, <c>after-commit</c>, <c>mid-prune</c> (the checkpoint
/// protocol); <c>at-barrier</c> (an operator's thread, state captured at the barrier);
/// <c>before-lsm-write</c> (an incremental checkpoint's capture encoded off the operator's thread,
/// nothing written to the live state store yet); <c>mid-lsm-flush</c> (an incremental checkpoint's
/// changes flushed into the live state store, the store's checkpoint not taken yet);
/// <c>mid-batch</c> (between the ring chunks of one durable-pipeline publish); <c>mid-replay</c>
/// (after each replayed journal batch during recovery).
/// </summary>
/// <remarks>
/// The variable is read once, by the static constructor, the first time a point is reached. When it
/// is unset <see cref="Hit"/> is one test of a static readonly field that the JIT folds to a
/// constant at tier 1: the call costs nothing in production.
/// </remarks>
public static class CrashPoints
{
    /// <summary>The environment variable that arms a crash point.</summary>
    public const string EnvironmentVariable = "KERNEL_CRASH_AT";

    // Null when disarmed (the production case); written once by the static constructor.
    private static readonly string? s_point;

    // The hit on which to die (1-based).
    private static readonly long s_occurrence;

    // Hits of the armed point so far; Interlocked because points are reached from several threads.
    private static long s_hits;

    // An explicit static constructor (no beforefieldinit) so the variable is read exactly when the
    // first point is reached, after a test host had the chance to set it.
    static CrashPoints()
    {
        var spec = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(spec)) return;
        var at = spec.IndexOf('@', StringComparison.Ordinal);
        s_occurrence = 1;
        if (at < 0)
        {
            s_point = spec.Trim();
            return;
        }
        s_point = spec[..at].Trim();
        if (!long.TryParse(spec.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out s_occurrence) || s_occurrence < 1)
            throw new InvalidOperationException(
                $"{EnvironmentVariable}='{spec}': the part after '@' must be a positive hit count, e.g. 'mid-commit@3'.");
    }

    /// <summary>Whether a crash point is armed in this process.</summary>
    public static bool IsArmed => s_point is not null;

    /// <summary>Kills the process here if <paramref name="point"/> is the armed point and this is the armed hit.</summary>
    /// <param name="point">The name of this point, e.g. <c>after-precommit</c>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Hit(string point)
    {
        if (s_point is null) return;
        HitArmed(point);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void HitArmed(string point)
    {
        if (!string.Equals(point, s_point, StringComparison.Ordinal)) return;
        if (Interlocked.Increment(ref s_hits) != s_occurrence) return;
        Die(point);
    }

    [DoesNotReturn]
    private static void Die(string point)
    {
        // Console.Error flushes every write: the test reads this line to know the crash was the planned one.
        Console.Error.WriteLine($"{EnvironmentVariable}: crashing at '{point}' (hit {s_occurrence})");
        try
        {
            using var self = Process.GetCurrentProcess();
            self.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        catch (System.ComponentModel.Win32Exception)
        {
        }
        Environment.FailFast($"{EnvironmentVariable}: crash point '{point}'");
    }
}

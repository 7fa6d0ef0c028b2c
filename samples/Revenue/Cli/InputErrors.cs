using Kernel.Sources;

namespace Revenue.Cli;

/// <summary>How the CLI turns bad input into exit code 2 and one clear line on stderr.</summary>
internal static class InputErrors
{
    /// <summary>Reads <c>--on-bad-record fail|skip</c> (default fail).</summary>
    public static BadRecordPolicy Policy(CommandLine cl) => cl.Optional("on-bad-record") switch
    {
        null or "fail" => BadRecordPolicy.Fail,
        "skip" => BadRecordPolicy.SkipAndCount,
        var other => throw new UsageException($"--on-bad-record must be fail or skip, got '{other}'"),
    };

    /// <summary>The message for an input error, or null when the exception is not one.</summary>
    public static string? Describe(Exception e) => e switch
    {
        BadRecordException bad => bad.Record.ToString(),
        FileNotFoundException missing => $"{missing.FileName}: no such file",
        DirectoryNotFoundException missing => missing.Message,
        _ => null,
    };
}

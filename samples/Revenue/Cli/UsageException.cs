namespace Revenue.Cli;

/// <summary>
/// A mistake on the command line: printed with the usage text (unless <paramref name="showUsage"/>
/// is false: a wrong data directory is not a usage mistake), exit code 2.
/// </summary>
internal sealed class UsageException(string message, bool showUsage = true) : Exception(message)
{
    /// <summary>Whether the usage text follows the message.</summary>
    public bool ShowUsage { get; } = showUsage;
}

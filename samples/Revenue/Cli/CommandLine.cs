using System.Globalization;

namespace Revenue.Cli;

/// <summary>
/// The parsed arguments of one command: <c>--name value</c> pairs after the verb. Every lookup
/// names the option in its error, and unknown options are refused, so a typo never runs a job
/// with a default the user did not mean.
/// </summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CommandLine(string verb) => Verb = verb;

    /// <summary>The command: generate, batch, stream, replay or query.</summary>
    public string Verb { get; }

    /// <summary>Parses <c>verb --name value ...</c>.</summary>
    public static CommandLine Parse(string[] args)
    {
        if (args.Length == 0) throw new UsageException("no command given");
        var cl = new CommandLine(args[0]);
        for (var i = 1; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
                throw new UsageException($"unexpected argument '{a}' (options are written --name value)");
            if (i + 1 >= args.Length)
                throw new UsageException($"option '{a}' needs a value");
            if (!cl._options.TryAdd(a[2..], args[++i]))
                throw new UsageException($"option '{a}' is given twice");
        }
        return cl;
    }

    /// <summary>A required text option.</summary>
    public string Required(string name) =>
        Optional(name) ?? throw new UsageException($"'{Verb}' needs --{name}");

    /// <summary>An optional text option, or null.</summary>
    public string? Optional(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    /// <summary>An integer option with a default and a lower bound.</summary>
    public long Int64(string name, long fallback, long min = long.MinValue)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        if (!long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v))
            throw new UsageException($"--{name} must be an integer, got '{text}'");
        if (v < min) throw new UsageException($"--{name} must be at least {min}, got {v}");
        return v;
    }

    /// <summary>A fraction option in [0, 1].</summary>
    public double Fraction(string name, double fallback)
    {
        var text = Optional(name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v is < 0 or > 1)
            throw new UsageException($"--{name} must be a number between 0 and 1, got '{text}'");
        return v;
    }

    /// <summary>Refuses any option the command did not ask for.</summary>
    public void RejectUnknown()
    {
        foreach (var name in _options.Keys)
            if (!_used.Contains(name))
                throw new UsageException($"'{Verb}' has no option --{name}");
    }
}

using System.Globalization;
using System.Text;
using Kernel.Checkpoints;

namespace Kernel.Modes;

/// <summary>
/// Versions of a pipeline's finalized output, side by side in one directory, with one of them
/// current: a backfill writes a new version while readers keep reading the current one, and
/// <see cref="Publish"/> switches them over atomically.
/// <code>
///  root/v1/        version 1's output (whatever files its sinks write)
///  root/v2/        version 2's output (e.g. a backfill after a bug fix)
///  root/CURRENT    the current version's number, as text ("2\n"); replaced by write-temp, fsync, rename
/// </code>
/// A reader calls <see cref="Current"/> (or <see cref="CurrentPath"/>) once per read and reads that
/// version's files: it sees the old version or the new one, never a mix. Old versions are kept
/// until <see cref="Delete"/> (a reader may still be reading one).
/// </summary>
public sealed class OutputVersions
{
    private const string CurrentFile = "CURRENT";
    private const string Prefix = "v";
    private readonly Lock _lock = new();

    /// <summary>Opens (creating it if needed) the versions directory <paramref name="root"/>.</summary>
    public OutputVersions(string root)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    /// <summary>The versions directory.</summary>
    public string Root { get; }

    /// <summary>The current version; 0 when none has been published.</summary>
    /// <exception cref="InvalidDataException">CURRENT does not hold a version number.</exception>
    public long Current
    {
        get
        {
            string text;
            try
            {
                text = File.ReadAllText(Path.Combine(Root, CurrentFile));
            }
            catch (FileNotFoundException)
            {
                return 0;
            }
            if (!long.TryParse(text.AsSpan().TrimEnd(), NumberStyles.None, CultureInfo.InvariantCulture, out var version) || version < 1)
                throw new InvalidDataException($"{Path.Combine(Root, CurrentFile)}: '{text.TrimEnd()}' is not a version number");
            return version;
        }
    }

    /// <summary>The current version's directory, or null when none has been published.</summary>
    public string? CurrentPath => Current is var v and > 0 ? PathOf(v) : null;

    /// <summary>The directory of <paramref name="version"/>.</summary>
    public string PathOf(long version)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        return Path.Combine(Root, Prefix + version.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The versions present, oldest first.</summary>
    public IReadOnlyList<long> List()
    {
        var versions = new List<long>();
        foreach (var dir in Directory.EnumerateDirectories(Root, Prefix + "*"))
            if (long.TryParse(Path.GetFileName(dir).AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0)
                versions.Add(v);
        versions.Sort();
        return versions;
    }

    /// <summary>Creates the next version's (empty) directory, not yet current, and returns its number.</summary>
    public long CreateNext()
    {
        lock (_lock)
        {
            var versions = List();
            var next = Math.Max(versions.Count == 0 ? 0 : versions[^1], Current) + 1;
            Directory.CreateDirectory(PathOf(next));
            return next;
        }
    }

    /// <summary>Makes <paramref name="version"/> current, atomically (and durably).</summary>
    /// <exception cref="DirectoryNotFoundException">The version does not exist.</exception>
    public void Publish(long version)
    {
        var dir = PathOf(version);
        if (!Directory.Exists(dir)) throw new DirectoryNotFoundException($"output version {version} does not exist ({dir})");
        lock (_lock)
            AtomicFile.Write(Path.Combine(Root, CurrentFile), Encoding.ASCII.GetBytes(version.ToString(CultureInfo.InvariantCulture) + "\n"));
    }

    /// <summary>Deletes an old version's directory.</summary>
    /// <exception cref="InvalidOperationException">The version is current.</exception>
    public void Delete(long version)
    {
        lock (_lock)
        {
            if (version == Current) throw new InvalidOperationException($"output version {version} is current; publish another first");
            var dir = PathOf(version);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
    }
}

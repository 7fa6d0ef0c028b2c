using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Checkpoints;

/// <summary>
/// The checkpoints of one data directory:
/// <code>
///  &lt;data&gt;/checkpoints/
///      7/                 complete: participants' state files, then "manifest" written last
///        operator.state
///        manifest
///      8/                 incomplete: a checkpoint in flight, or one a crash interrupted
///        operator.state
///      5.deleting/        being pruned (renamed first, so a crash mid-delete leaves no half checkpoint)
/// </code>
/// A checkpoint exists only once its manifest does; the manifest is written atomically (temporary
/// file, fsync, rename, directory fsync), so a crash leaves either no manifest or a whole one.
/// </summary>
/// <remarks>
/// One process owns a data directory. Methods are safe to call from several threads; pruning and
/// leases are serialized by one lock (they are rare).
/// </remarks>
public sealed class CheckpointStore
{
    /// <summary>The name of the manifest file inside a checkpoint directory.</summary>
    public const string ManifestFileName = "manifest";

    private const string DeletingSuffix = ".deleting";

    private readonly ILogger _logger;

    // Checkpoint id -> number of live restore leases. Guarded by itself.
    private readonly Dictionary<long, int> _leases = [];

    /// <summary>Opens (creating if needed) the checkpoints of <paramref name="dataDirectory"/>.</summary>
    /// <param name="dataDirectory">The engine's data directory.</param>
    /// <param name="logger">Receives the fall-back and pruning messages; null for none.</param>
    public CheckpointStore(string dataDirectory, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        DataDirectory = Path.GetFullPath(dataDirectory);
        CheckpointsDirectory = Path.Combine(DataDirectory, "checkpoints");
        Directory.CreateDirectory(CheckpointsDirectory);
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The data directory.</summary>
    public string DataDirectory { get; }

    /// <summary><c>&lt;data&gt;/checkpoints</c>.</summary>
    public string CheckpointsDirectory { get; }

    /// <summary>The directory of checkpoint <paramref name="checkpointId"/> (which may not exist).</summary>
    public string GetCheckpointDirectory(long checkpointId)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(checkpointId);
        return Path.Combine(CheckpointsDirectory, checkpointId.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The ids of every checkpoint directory, complete or not, ascending.</summary>
    public IReadOnlyList<long> ListCheckpointIds()
    {
        var ids = new List<long>();
        foreach (var dir in Directory.EnumerateDirectories(CheckpointsDirectory))
        {
            var name = Path.GetFileName(dir);
            if (long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id > 0
                && string.Equals(name, id.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))
                ids.Add(id);
        }
        ids.Sort();
        return ids;
    }

    /// <summary>One more than the largest id on disk (complete or not), so an id is never reused.</summary>
    public long NextCheckpointId()
    {
        var ids = ListCheckpointIds();
        return ids.Count == 0 ? 1 : ids[^1] + 1;
    }

    /// <summary>
    /// Creates the empty directory participants write checkpoint <paramref name="checkpointId"/>'s
    /// state into. Leftovers of an earlier attempt with the same id that never got a manifest are removed.
    /// </summary>
    /// <exception cref="InvalidOperationException">That checkpoint is already complete.</exception>
    public string CreateCheckpointDirectory(long checkpointId)
    {
        var dir = GetCheckpointDirectory(checkpointId);
        if (File.Exists(Path.Combine(dir, ManifestFileName)))
            throw new InvalidOperationException($"checkpoint {checkpointId} already has a manifest in '{dir}'; checkpoint ids must not be reused");
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        DirectorySync.Flush(CheckpointsDirectory);
        return dir;
    }

    /// <summary>
    /// Completes a checkpoint: writes its manifest atomically into its directory, which must exist
    /// and hold every participant's state already. Crash points <c>before-manifest</c> (temporary
    /// file durable, not yet renamed) and <c>after-manifest</c> (complete, nothing told yet).
    /// </summary>
    /// <returns>The number of bytes in the manifest.</returns>
    public int WriteManifest(CheckpointManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var dir = GetCheckpointDirectory(manifest.CheckpointId);
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"checkpoint {manifest.CheckpointId}: directory '{dir}' does not exist; create it with {nameof(CreateCheckpointDirectory)} first");
        var image = CheckpointManifestFormat.Serialize(manifest);
        AtomicFile.Write(Path.Combine(dir, ManifestFileName), image, beforeRename: "before-manifest");
        CrashPoints.Hit("after-manifest");
        return image.Length;
    }

    /// <summary>Reads and validates checkpoint <paramref name="checkpointId"/>'s manifest.</summary>
    /// <exception cref="FileNotFoundException">The checkpoint is incomplete (no manifest).</exception>
    /// <exception cref="CheckpointFormatException">The manifest is torn or corrupt.</exception>
    public CheckpointManifest ReadManifest(long checkpointId)
    {
        var path = Path.Combine(GetCheckpointDirectory(checkpointId), ManifestFileName);
        var manifest = CheckpointManifestFormat.Parse(File.ReadAllBytes(path), path);
        if (manifest.CheckpointId != checkpointId)
            throw new CheckpointFormatException(path, "checkpoint id", CheckpointManifestFormat.HeaderSize,
                $"says {manifest.CheckpointId} but the directory is checkpoint {checkpointId}");
        return manifest;
    }

    /// <summary>Whether checkpoint <paramref name="checkpointId"/> has a present and valid manifest.</summary>
    public bool IsComplete(long checkpointId) => TryRead(checkpointId, out _, out _);

    /// <summary>
    /// Finds the newest complete checkpoint. An incomplete or corrupt newer one is skipped with a
    /// message (returned and logged as a warning) saying which, why, and what is used instead.
    /// </summary>
    public CheckpointLoadResult LoadNewestComplete()
    {
        var ids = ListCheckpointIds();
        var diagnostics = new List<string>();
        for (var i = ids.Count - 1; i >= 0; i--)
        {
            if (TryRead(ids[i], out var manifest, out var problem))
            {
                if (diagnostics.Count > 0)
                {
                    var chosen = $"recovering from checkpoint {manifest.CheckpointId} (ring sequence {manifest.RingSequence}) instead";
                    diagnostics.Add(chosen);
                    _logger.LogWarning("{Message}", chosen);
                }
                return new CheckpointLoadResult(manifest, diagnostics);
            }
            var skipped = $"checkpoint {ids[i]} in '{GetCheckpointDirectory(ids[i])}' is {problem}; falling back to the previous checkpoint";
            diagnostics.Add(skipped);
            _logger.LogWarning("{Message}", skipped);
        }
        if (diagnostics.Count > 0)
        {
            const string none = "no complete checkpoint is left; starting from the beginning of the input";
            diagnostics.Add(none);
            _logger.LogWarning("{Message}", none);
        }
        return new CheckpointLoadResult(null, diagnostics);
    }

    /// <summary>Protects checkpoint <paramref name="checkpointId"/> from pruning until the lease is disposed.</summary>
    public CheckpointRestoreLease AcquireRestoreLease(long checkpointId)
    {
        lock (_leases)
        {
            _leases[checkpointId] = _leases.GetValueOrDefault(checkpointId) + 1;
        }
        return new CheckpointRestoreLease(this, checkpointId);
    }

    internal void ReleaseLease(long checkpointId)
    {
        lock (_leases)
        {
            var count = _leases[checkpointId] - 1;
            if (count == 0) _leases.Remove(checkpointId);
            else _leases[checkpointId] = count;
        }
    }

    /// <summary>
    /// Keeps the newest <paramref name="keepLast"/> complete checkpoints and deletes the rest: older
    /// complete ones, and incomplete ones older than the newest complete (abandoned attempts).
    /// Never deletes the newest complete checkpoint, a leased one, or anything newer than the newest
    /// complete one (it may be in flight). A directory is renamed to <c>&lt;id&gt;.deleting</c> before
    /// it is deleted, so a crash mid-delete never leaves a half checkpoint under a valid name.
    /// </summary>
    /// <returns>The ids deleted.</returns>
    public IReadOnlyList<long> Prune(int keepLast)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(keepLast, 1);
        var deleted = new List<long>();
        lock (_leases)
        {
            RemoveDeletingLeftovers();
            var ids = ListCheckpointIds();
            var complete = ids.Where(IsComplete).ToList();
            if (complete.Count == 0) return deleted;
            var newestComplete = complete[^1];
            var keep = complete.Skip(Math.Max(0, complete.Count - keepLast)).ToHashSet();
            foreach (var id in ids)
            {
                if (id >= newestComplete || keep.Contains(id) || _leases.ContainsKey(id)) continue;
                var dir = GetCheckpointDirectory(id);
                var doomed = dir + DeletingSuffix;
                Directory.Move(dir, doomed);
                DirectorySync.Flush(CheckpointsDirectory);
                CrashPoints.Hit("mid-prune");
                Directory.Delete(doomed, recursive: true);
                deleted.Add(id);
            }
        }
        if (deleted.Count > 0)
            _logger.LogInformation("pruned checkpoints {Ids} in {Directory}", string.Join(", ", deleted), CheckpointsDirectory);
        return deleted;
    }

    /// <summary>Deletes an incomplete checkpoint's directory (an aborted attempt). Complete ones are refused.</summary>
    internal void DeleteIncomplete(long checkpointId)
    {
        var dir = GetCheckpointDirectory(checkpointId);
        if (!Directory.Exists(dir)) return;
        if (File.Exists(Path.Combine(dir, ManifestFileName)))
            throw new InvalidOperationException($"checkpoint {checkpointId} is complete; an aborted checkpoint has no manifest");
        var doomed = dir + DeletingSuffix;
        Directory.Move(dir, doomed);
        Directory.Delete(doomed, recursive: true);
    }

    private void RemoveDeletingLeftovers()
    {
        foreach (var dir in Directory.EnumerateDirectories(CheckpointsDirectory, "*" + DeletingSuffix))
            Directory.Delete(dir, recursive: true);
    }

    private bool TryRead(long checkpointId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CheckpointManifest? manifest, out string problem)
    {
        manifest = null;
        var path = Path.Combine(GetCheckpointDirectory(checkpointId), ManifestFileName);
        if (!File.Exists(path))
        {
            problem = "incomplete (it has no manifest)";
            return false;
        }
        try
        {
            manifest = ReadManifest(checkpointId);
            problem = string.Empty;
            return true;
        }
        catch (CheckpointFormatException e)
        {
            problem = "corrupt (" + e.Message + ")";
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = "unreadable (" + e.Message + ")";
            return false;
        }
    }
}

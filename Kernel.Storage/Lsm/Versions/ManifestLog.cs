namespace Kernel.Storage.Lsm.Versions;

/// <summary>
/// The writer side of the manifest (format in <see cref="Manifest"/>): holds the version the
/// file describes, appends one fsynced edit per change, and replaces the file with a new
/// snapshot when the edits outgrow it. A torn tail found at open is cut off before the first
/// append. Used under the store's state lock.
/// </summary>
internal sealed class ManifestLog : IDisposable
{
    private readonly string _dir;
    private readonly string _path;
    private ManifestData? _current;     // what the file says now; null before the first write
    private FileStream? _file;          // opened at the first append
    private long _length;               // valid bytes of the file
    private long _snapshotBytes;
    private long _tornTail;
    private readonly long _rewriteBytes;   // edits may grow to this, or to twice the snapshot, before a new snapshot replaces them

    public ManifestLog(string dir, ManifestData? current, ManifestLogState state, long rewriteBytes)
    {
        _rewriteBytes = rewriteBytes;
        _dir = dir;
        _path = Path.Combine(dir, FileNames.Manifest);
        _current = current;
        _length = state.ValidBytes;
        _snapshotBytes = state.SnapshotBytes;
        _tornTail = state.TornTailBytes;
        Edits = state.Edits;
        TornTailBytesRecovered = state.TornTailBytes;
    }

    /// <summary>Edit records after the snapshot in the file.</summary>
    public int Edits { get; private set; }

    /// <summary>Snapshots written since open (the first one, and each rewrite).</summary>
    public int Snapshots { get; private set; }

    /// <summary>Bytes of a torn last record that open ignored and cut off.</summary>
    public long TornTailBytesRecovered { get; }

    /// <summary>Bytes of the manifest file.</summary>
    public long Bytes => _length;

    /// <summary>Makes <paramref name="next"/> the version on disk: one appended edit, or a new snapshot.</summary>
    public void Apply(ManifestData next)
    {
        if (_current is null || _length - _snapshotBytes > Math.Max(_rewriteBytes, 2 * _snapshotBytes))
        {
            WriteSnapshot(next);
            return;
        }
        var record = Manifest.EncodeEdit(_current, next);
        if (_file is null)
        {
            _file = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.Read, 1);
            if (_tornTail > 0)
            {
                _file.SetLength(_length);   // cut the torn record off before appending after it
                _tornTail = 0;
            }
            _file.Position = _length;
        }
        _file.Write(record);
        _file.Flush(flushToDisk: true);
        _length += record.Length;
        Edits++;
        _current = next;
    }

    private void WriteSnapshot(ManifestData next)
    {
        _file?.Dispose();
        _file = null;
        _tornTail = 0;
        _length = _snapshotBytes = Manifest.Write(_dir, next);
        Edits = 0;
        Snapshots++;
        _current = next;
    }

    public void Dispose()
    {
        _file?.Dispose();
        _file = null;
    }
}

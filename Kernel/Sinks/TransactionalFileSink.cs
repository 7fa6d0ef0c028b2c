using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Kernel.Checkpoints;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kernel.Sinks;

/// <summary>
/// An exactly-once text output (CSV with one header, or JSON lines): rows are staged per epoch and
/// appended to the output only when the checkpoint covering them completes.
/// <code>
///  out.csv                     header + the rows of every committed epoch, in epoch order
///  out.csv.commit              { last committed epoch, committed length } (FileSinkCommitRecord)
///  out.csv.open.staged         rows written since the last barrier (never committed as such)
///  out.csv.epoch-N.staged      epoch N: sealed at barrier N, fsynced at pre-commit
/// </code>
/// Commit of epoch N: cut the output back to the committed length (dropping a torn append of an
/// earlier attempt), append the staged file, fsync, replace the commit record atomically, delete
/// the staged file. Recovery cuts the output to the committed length and then, per staged epoch,
/// deletes it if the record already covers it, commits it if its manifest exists, and deletes it
/// otherwise. So after a crash anywhere and a restart, the output holds each committed row once.
/// While the process is down, bytes past the committed length may be a torn append: a reader that
/// needs consistency at that moment reads only the committed length.
/// </summary>
/// <typeparam name="TRow">The row type.</typeparam>
public sealed class TransactionalFileSink<TRow> : ITransactionalSink<TRow>, IDisposable
{
    private const int FlushThreshold = 64 * 1024;
    private const string StagedSuffix = ".staged";

    private readonly string _path;
    private readonly string _directory;
    private readonly string _recordPath;
    private readonly string _openPath;
    private readonly IRowFormatter<TRow> _formatter;
    private readonly byte[] _header;
    private readonly ILogger _logger;

    // Writer thread only: the open epoch's buffered rows and its file (created on the first flush).
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold * 2);
    private FileStream? _open;
    private bool _recovered;

    // Sealed epochs (staged file path, or null when empty) and the commit record. Guarded by _lock,
    // which is held only for the dictionary and record, never across I/O: the writer thread takes it
    // at each barrier and must not wait behind a commit's fsync.
    private readonly Lock _lock = new();

    // Serializes the file work of commit, abort and recovery (the coordinator's thread).
    private readonly Lock _commitLock = new();
    private readonly SortedDictionary<long, Sealed> _sealed = [];
    private FileSinkCommitRecord _record;

    /// <summary>Creates the sink; call <see cref="RecoverAsync"/> once before writing.</summary>
    /// <param name="path">The output file.</param>
    /// <param name="formatter">Formats rows; its header, if any, is written once at the top of the output.</param>
    /// <param name="name">The sink's name in manifests; the output's file name by default.</param>
    /// <param name="logger">Receives recovery decisions; null for none.</param>
    public TransactionalFileSink(string path, IRowFormatter<TRow> formatter, string? name = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(formatter);
        _path = Path.GetFullPath(path);
        _directory = Path.GetDirectoryName(_path)!;
        _recordPath = _path + ".commit";
        _openPath = _path + ".open" + StagedSuffix;
        _formatter = formatter;
        _header = formatter.Header is { } header ? Encoding.UTF8.GetBytes(header + "\n") : [];
        _logger = logger ?? NullLogger.Instance;
        Name = name ?? Path.GetFileName(_path);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The output file.</summary>
    public string OutputPath => _path;

    /// <summary>The newest epoch whose rows are in the output.</summary>
    public long LastCommittedEpoch
    {
        get
        {
            lock (_lock) return _record.LastEpoch;
        }
    }

    /// <summary>The staged file of epoch <paramref name="epoch"/>.</summary>
    public string GetStagedPath(long epoch) => _path + ".epoch-" + epoch.ToString(CultureInfo.InvariantCulture) + StagedSuffix;

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(in TRow row)
    {
        if (!_recovered) SinkThrowHelper.ThrowNotRecovered(Name);
        _formatter.Format(row, _buffer);
        if (_buffer.WrittenCount >= FlushThreshold) FlushBuffer();
    }

    /// <inheritdoc />
    public void SealEpoch(long epoch)
    {
        if (!_recovered) SinkThrowHelper.ThrowNotRecovered(Name);
        lock (_lock)
        {
            if (epoch <= _record.LastEpoch || _sealed.ContainsKey(epoch))
                throw new ArgumentOutOfRangeException(nameof(epoch), epoch, $"sink '{Name}': epoch {epoch} is already sealed or committed");
        }
        if (_buffer.WrittenCount > 0) FlushBuffer();
        string? staged = null;
        if (_open is not null)
        {
            _open.Dispose();
            _open = null;
            staged = GetStagedPath(epoch);
            File.Move(_openPath, staged, overwrite: true);
        }
        lock (_lock) _sealed.Add(epoch, new Sealed(staged));
    }

    /// <inheritdoc />
    public ValueTask PreCommitAsync(long epoch, CancellationToken cancellationToken)
    {
        bool sealedAlready;
        lock (_lock) sealedAlready = _sealed.ContainsKey(epoch);
        if (!sealedAlready) SealEpoch(epoch);
        Sealed sealedEpoch;
        lock (_lock) sealedEpoch = _sealed[epoch];
        if (sealedEpoch.Path is not null)
        {
            using (var staged = new FileStream(sealedEpoch.Path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1))
                staged.Flush(flushToDisk: true);
            DirectorySync.Flush(_directory);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_commitLock)
        {
            while (true)
            {
                long first;
                Sealed sealedEpoch;
                lock (_lock)
                {
                    if (_sealed.Count == 0) break;
                    (first, sealedEpoch) = _sealed.First();
                    if (first > epoch) break;
                }
                CommitEpoch(first, sealedEpoch.Path);
                lock (_lock) _sealed.Remove(first);
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask AbortAsync(long epoch, CancellationToken cancellationToken)
    {
        lock (_commitLock)
        {
            Sealed sealedEpoch;
            bool found;
            lock (_lock) found = _sealed.Remove(epoch, out sealedEpoch);
            if (found && sealedEpoch.Path is not null) File.Delete(sealedEpoch.Path);
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask RecoverAsync(Func<long, bool> isEpochCommitted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isEpochCommitted);
        _open?.Dispose();
        _open = null;
        _buffer.ResetWrittenCount();
        File.Delete(_openPath);
        lock (_commitLock)
        {
            var record = LoadOrCreateRecord();
            lock (_lock)
            {
                _sealed.Clear();
                _record = record;
            }
            CutToCommittedLength();
            foreach (var (epoch, staged) in FindStagedEpochs())
            {
                if (epoch <= _record.LastEpoch)
                {
                    File.Delete(staged);
                }
                else if (isEpochCommitted(epoch))
                {
                    _logger.LogInformation("sink '{Sink}': committing staged epoch {Epoch}, whose checkpoint completed before the restart", Name, epoch);
                    CommitEpoch(epoch, staged);
                }
                else
                {
                    _logger.LogInformation("sink '{Sink}': discarding staged epoch {Epoch}, whose checkpoint never completed", Name, epoch);
                    File.Delete(staged);
                }
            }
            DirectorySync.Flush(_directory);
        }
        _recovered = true;
        return ValueTask.CompletedTask;
    }

    /// <summary>Closes the open staged file; staged rows stay on disk for recovery.</summary>
    public void Dispose()
    {
        _open?.Dispose();
        _open = null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FlushBuffer()
    {
        _open ??= new FileStream(_openPath, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1);
        _open.Write(_buffer.WrittenSpan);
        _buffer.ResetWrittenCount();
    }

    /// <summary>Appends a staged epoch to the output and records it. Caller holds <see cref="_commitLock"/>, the only writer of <see cref="_record"/>.</summary>
    private void CommitEpoch(long epoch, string? staged)
    {
        if (epoch <= _record.LastEpoch || staged is null)
        {
            if (staged is not null) File.Delete(staged);
            return;
        }
        long added;
        using (var output = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1))
        using (var input = new FileStream(staged, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1))
        {
            output.SetLength(_record.CommittedLength);
            output.Position = _record.CommittedLength;
            added = input.Length;
            Copy(input, output, added / 2);
            CrashPoints.Hit("mid-commit");
            Copy(input, output, added - (added / 2));
            output.Flush(flushToDisk: true);
        }
        var record = new FileSinkCommitRecord(epoch, _record.CommittedLength + added);
        AtomicFile.Write(_recordPath, record.Serialize());
        lock (_lock) _record = record;
        CrashPoints.Hit("after-commit");
        File.Delete(staged);
    }

    private static void Copy(FileStream input, FileStream output, long count)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (count > 0)
            {
                var read = input.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
                if (read == 0) throw new EndOfStreamException($"staged file '{input.Name}' ended {count} bytes early");
                output.Write(buffer, 0, read);
                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private FileSinkCommitRecord LoadOrCreateRecord()
    {
        if (File.Exists(_recordPath))
            return FileSinkCommitRecord.Parse(File.ReadAllBytes(_recordPath), _recordPath);
        if (File.Exists(_path))
        {
            // Only a crash between creating the output and writing its first record leaves an output
            // without a record, and then it holds a prefix of the header.
            var existing = File.ReadAllBytes(_path);
            if (!_header.AsSpan().StartsWith(existing))
                throw new IOException($"sink '{Name}': '{_path}' exists but has no commit record '{_recordPath}', so it was not written by this sink; refusing to overwrite it");
        }
        using (var output = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read, bufferSize: 1))
        {
            output.Write(_header);
            output.Flush(flushToDisk: true);
        }
        var record = new FileSinkCommitRecord(0, _header.Length);
        AtomicFile.Write(_recordPath, record.Serialize());
        return record;
    }

    private void CutToCommittedLength()
    {
        if (!File.Exists(_path))
            throw new IOException($"sink '{Name}': '{_recordPath}' says {_record.CommittedLength} bytes are committed but the output '{_path}' is missing; it was deleted outside the sink (delete the record too to start over)");
        var length = new FileInfo(_path).Length;
        if (length < _record.CommittedLength)
            throw new IOException($"sink '{Name}': '{_path}' is {length} bytes but '{_recordPath}' says {_record.CommittedLength} are committed; the output was truncated outside the sink");
        if (length == _record.CommittedLength) return;
        _logger.LogInformation("sink '{Sink}': cutting {Bytes} uncommitted bytes off '{Path}' (an append a crash interrupted)", Name, length - _record.CommittedLength, _path);
        using var output = new FileStream(_path, FileMode.Open, FileAccess.Write, FileShare.Read, bufferSize: 1);
        output.SetLength(_record.CommittedLength);
        output.Flush(flushToDisk: true);
    }

    private List<(long Epoch, string Path)> FindStagedEpochs()
    {
        var prefix = Path.GetFileName(_path) + ".epoch-";
        var found = new List<(long, string)>();
        foreach (var file in Directory.EnumerateFiles(_directory, prefix + "*" + StagedSuffix))
        {
            var name = Path.GetFileName(file);
            var digits = name.AsSpan(prefix.Length, name.Length - prefix.Length - StagedSuffix.Length);
            if (long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch) && epoch > 0)
                found.Add((epoch, file));
        }
        found.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return found;
    }

    private readonly record struct Sealed(string? Path);
}

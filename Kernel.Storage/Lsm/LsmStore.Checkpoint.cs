using Kernel.Storage.Lsm.Native;
using Kernel.Storage.Lsm.Versions;

namespace Kernel.Storage.Lsm;

public sealed partial class LsmStore
{
    /// <summary>
    /// Flushes, then makes <paramref name="checkpointDirectory"/> (new or empty) a complete store
    /// of the current version: each live table is hard-linked (copied where links are not
    /// supported) and a manifest is written. Tables are immutable, so successive checkpoints
    /// share the files that did not change. Open the checkpoint with <see cref="Open"/> (after
    /// <see cref="RestoreCheckpoint"/> to work on a copy).
    /// </summary>
    /// <returns>The last sequence the checkpoint holds.</returns>
    public ulong Checkpoint(string checkpointDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(checkpointDirectory);
        var target = Path.GetFullPath(checkpointDirectory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            LsmThrow.Argument(nameof(checkpointDirectory), $"checkpoint directory {target} is not empty");
        Flush();
        StoreView view;
        ManifestData data;
        lock (_state)
        {
            view = AcquireView();
            data = BuildManifestLocked(view.Levels, view.Tombstones, 0);
        }
        try
        {
            Directory.CreateDirectory(target);
            foreach (var level in view.Levels)
                foreach (var t in level) LinkOrCopy(t.Path, Path.Combine(target, Path.GetFileName(t.Path)));
            Manifest.Write(target, data);
            return data.LastSequence;
        }
        finally
        {
            view.Release();
        }
    }

    /// <summary>
    /// Makes <paramref name="storeDirectory"/> a working copy of the checkpoint in
    /// <paramref name="checkpointDirectory"/>: removes the store files it holds, then links the
    /// checkpoint's tables and copies its manifest. The store must not be open.
    /// </summary>
    public static void RestoreCheckpoint(string checkpointDirectory, string storeDirectory)
    {
        var source = Path.GetFullPath(checkpointDirectory);
        var target = Path.GetFullPath(storeDirectory);
        var data = Manifest.Read(source) ?? throw new LsmException($"{source} holds no manifest: not a checkpoint");
        Directory.CreateDirectory(target);
        foreach (var path in Directory.EnumerateFiles(target))
        {
            var name = Path.GetFileName(path);
            if (name is FileNames.Manifest or FileNames.ManifestTemp
                || name.EndsWith(FileNames.TableExtension, StringComparison.Ordinal)
                || name.EndsWith(FileNames.WalExtension, StringComparison.Ordinal))
                File.Delete(path);
        }
        foreach (var (_, t) in data.Tables)
            LinkOrCopy(FileNames.Table(source, t.FileNumber), FileNames.Table(target, t.FileNumber));
        Manifest.Write(target, data);
    }

    private static void LinkOrCopy(string from, string to)
    {
        if (!PosixFile.TryHardLink(from, to)) File.Copy(from, to);
    }
}

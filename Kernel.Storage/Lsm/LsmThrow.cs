using System.Diagnostics.CodeAnalysis;

namespace Kernel.Storage.Lsm;

/// <summary>Throws for the LSM store, out of line so hot paths stay small.</summary>
internal static class LsmThrow
{
    [DoesNotReturn]
    public static void Corruption(string path, long position, string what) =>
        throw new LsmCorruptionException(path, position, what);

    [DoesNotReturn]
    public static void Format(string message) => throw new LsmException(message);

    [DoesNotReturn]
    public static void Disposed() => throw new ObjectDisposedException(nameof(LsmStore));

    [DoesNotReturn]
    public static void ReadOnly() => throw new InvalidOperationException("the store was opened read-only");

    [DoesNotReturn]
    public static void Argument(string name, string message) => throw new ArgumentException(message, name);

    [DoesNotReturn]
    public static void InvalidIterator() => throw new InvalidOperationException("the iterator is not positioned on an entry (check Valid)");

    [DoesNotReturn]
    public static void BackgroundFailed(Exception inner) =>
        throw new LsmException("background flush or compaction failed; the store is read-only until reopened", inner);
}

using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Kernel.Storage.Log;

/// <summary>
/// The only unsafe code of the log: a whole file mapped read-write, seen as a base pointer and a
/// length. Every span it hands out is bounds-checked against that length.
/// </summary>
/// <remarks>
/// Safety invariant: the pointer stays valid from construction until <see cref="Dispose"/>, and
/// <see cref="Dispose"/> runs only when no span over the region can still be in use. The log keeps
/// that promise with a reference count per segment (<see cref="Segment.TryAcquire"/>): the writer,
/// the flusher and every reader hold a reference while they touch the region, and the region is
/// unmapped when the last reference is released.
/// </remarks>
internal sealed unsafe partial class MappedRegion : IDisposable
{
    private const int MsSync = 4; // MS_SYNC on Linux: write the range back and wait for it.

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;   // Mapped address of file byte 0; valid until Dispose.
    private readonly long _length;
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _handle; // The mapped file's handle, open until Dispose.
    private int _disposed;

    /// <summary>Maps the first <paramref name="length"/> bytes of <paramref name="stream"/> (which it then owns).</summary>
    public MappedRegion(FileStream stream, long length)
    {
        _file = MemoryMappedFile.CreateFromFile(stream, mapName: null, length, MemoryMappedFileAccess.ReadWrite,
            HandleInheritability.None, leaveOpen: false);
        _view = _file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        _length = length;
        _handle = stream.SafeFileHandle;
    }

    /// <summary>The mapped length in bytes.</summary>
    public long Length => _length;

    /// <summary>A writable view of <paramref name="length"/> bytes at <paramref name="position"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Span(long position, int length)
    {
        if ((ulong)position + (uint)length > (ulong)_length)
            LogThrow.RegionOutOfRange(position, length, _length);
        return new Span<byte>(_base + position, length);
    }

    /// <summary>A reference to the byte at <paramref name="position"/> (caller checks the range).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref byte At(long position)
    {
        System.Diagnostics.Debug.Assert((ulong)position < (ulong)_length, "position inside the region");
        return ref *(_base + position);
    }

    /// <summary>
    /// Faults in the pages of [<paramref name="from"/>, <paramref name="to"/>) for writing without
    /// changing any byte, so that the page faults happen here rather than on the writer's hot path,
    /// and so that it may run while the writer writes the same pages. On Linux 5.14 and later one
    /// <c>madvise(MADV_POPULATE_WRITE)</c> per call; elsewhere an atomic add of zero to the first
    /// 4 bytes of each page (a locked read-modify-write is indivisible against the writer's plain
    /// stores, which land wholly before or after it). <paramref name="from"/> is page-aligned by the caller.
    /// </summary>
    public void TouchShared(long from, long to)
    {
        var page = Environment.SystemPageSize;
        to = Math.Min(to, _length);
        if (to <= from) return;
        if (Volatile.Read(ref s_populateWrite))
        {
            // One system call per chunk instead of a trap per page.
            if (Madvise((nint)(_base + from), (nuint)(to - from), MadvPopulateWrite) == 0) return;
            if (Marshal.GetLastPInvokeError() == EInval) Volatile.Write(ref s_populateWrite, false); // a kernel before 5.14: touch page by page from now on
        }
        for (var p = from; p < to; p += page)
            Interlocked.Add(ref *(int*)(_base + p), 0);
    }

    private const int EInval = 22;
    private const int MadvPopulateWrite = 23; // MADV_POPULATE_WRITE (Linux 5.14): fault pages in writable without writing them.
    private static bool s_populateWrite = OperatingSystem.IsLinux();

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(nint address, nuint length, int advice);

    /// <summary>
    /// Forces the bytes in [<paramref name="from"/>, <paramref name="to"/>) to the disk and waits
    /// for them (msync with MS_SYNC over the page-aligned range on Linux; the whole view elsewhere).
    /// </summary>
    public void Flush(long from, long to)
    {
        if (to <= from) return;
        if (OperatingSystem.IsLinux())
        {
            var page = Environment.SystemPageSize;
            var start = from & ~(long)(page - 1);
            var addr = (nint)(_base + start);
            // The view's base pointer is page-aligned only when PointerOffset is 0 (it is: we map from 0).
            if (Msync(addr, (nuint)(to - start), MsSync) != 0)
                LogThrow.FlushFailed(Marshal.GetLastPInvokeError());
            return;
        }
        _view.Flush();
    }

    /// <summary>
    /// Starts writing the dirty pages of [<paramref name="from"/>, <paramref name="to"/>) to the disk
    /// without waiting for them (sync_file_range with SYNC_FILE_RANGE_WRITE on Linux; nothing
    /// elsewhere). A hint only: durability still comes from <see cref="Flush"/>.
    /// </summary>
    public void StartWriteBack(long from, long to)
    {
        if (to <= from || !OperatingSystem.IsLinux()) return;
        var added = false;
        try
        {
            _handle.DangerousAddRef(ref added);
            _ = SyncFileRange((int)_handle.DangerousGetHandle(), from, to - from, SyncFileRangeWrite); // a failed hint is ignored
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    /// <summary>Unmaps the file and closes it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback, do not wait.

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    private static partial int Msync(nint address, nuint length, int flags);
}

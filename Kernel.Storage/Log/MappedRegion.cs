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

    /// <summary>The address of file byte 0, as a window origin for <see cref="WindowBytes"/> (valid until <see cref="Dispose"/>).</summary>
    public nint Origin => (nint)_base;

    /// <summary>
    /// Writes <paramref name="bytes"/> to the file at <paramref name="position"/> (pwrite): into the
    /// page cache, which the mapping shares, so readers of the mapping see them once it returns.
    /// </summary>
    public void Write(ReadOnlySpan<byte> bytes, long position)
    {
        if ((ulong)position + (uint)bytes.Length > (ulong)_length)
            LogThrow.RegionOutOfRange(position, bytes.Length, _length);
        RandomAccess.Write(_handle, bytes, position);
    }

    /// <summary>
    /// True when the log writes this file only with <see cref="Write"/> (staged writes): the writer's
    /// mapping then holds no dirty page, and dropping mappings before writeback
    /// (<see cref="DropWrittenMappings"/>) would only make readers fault again.
    /// </summary>
    public bool WrittenThroughFile { get; set; }

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
            DropWrittenMappings(start, to);
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
            DropWrittenMappings(from, to);
            _handle.DangerousAddRef(ref added);
            _ = SyncFileRange((int)_handle.DangerousGetHandle(), from, to - from, WriteBackFlags); // a failed hint is ignored
        }
        finally
        {
            if (added) _handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Drops this mapping's page-table entries for the whole pages in [<paramref name="from"/>,
    /// <paramref name="to"/>) before they are written back (Linux: <c>madvise(MADV_DONTNEED)</c>,
    /// which on a shared file mapping only unmaps: a dirty entry's dirty bit moves to the cached
    /// page, nothing is lost, and a later access faults the cached page back in). Writeback must
    /// write-protect every mapped dirty page it cleans, one TLB shootdown (an inter-processor
    /// interrupt whenever another thread of the process runs on another core) per 4 KiB page;
    /// unmapped first, the range costs one shootdown. The caller passes bytes nobody writes any more
    /// (records below the published length); the page holding <paramref name="to"/> is kept, since
    /// the writer may still be filling it. A hint: failure is ignored.
    /// </summary>
    private void DropWrittenMappings(long from, long to)
    {
        var page = Environment.SystemPageSize;
        var start = from & ~(long)(page - 1);
        var end = Math.Min(to, _length) & ~(long)(page - 1);
        if (end <= start || WrittenThroughFile || !Volatile.Read(ref s_dropMappings)) return;
        if (Madvise((nint)(_base + start), (nuint)(end - start), DropAdvice) != 0 && Marshal.GetLastPInvokeError() == EInval)
            Volatile.Write(ref s_dropMappings, false); // refused here: writeback write-protects page by page, as before
    }

    /// <summary>The largest folio the page cache maps a file with on x86-64 and arm64 with 4 KiB pages (one PMD).</summary>
    public const long LargestFolioBytes = 2L << 20;

    private const int MadvDontNeed = 4;
    private static bool s_dropMappings = OperatingSystem.IsLinux();

    /// <summary>Whether mappings are still dropped before writeback (false where the OS refused it once). Tests reset it.</summary>
    internal static bool DropMappingsEnabled
    {
        get => Volatile.Read(ref s_dropMappings);
        set => Volatile.Write(ref s_dropMappings, value && OperatingSystem.IsLinux());
    }

    /// <summary>The advice that drops mappings (<c>MADV_DONTNEED</c>); tests set one the OS rejects to take the failure path.</summary>
    internal static int DropAdvice { get; set; } = MadvDontNeed;

    /// <summary>The <c>sync_file_range</c> flags of <see cref="StartWriteBack"/>; tests set ones the OS rejects to take the failure path.</summary>
    internal static uint WriteBackFlags { get; set; } = SyncFileRangeWrite;

    /// <summary>
    /// Unmaps the file and closes it, without writing its dirty pages back: the page cache keeps
    /// them and the OS writes them back as usual, and a log that promises durability has already
    /// flushed (<see cref="Flush"/>). The view handle is released first because
    /// <see cref="MemoryMappedViewAccessor"/>'s own dispose would otherwise flush the whole view
    /// (msync with MS_SYNC): every close would wait for the disk, even with
    /// <see cref="FlushPolicy.None"/>, and a segment retention deletes would be written out just
    /// before its file goes.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.SafeMemoryMappedViewHandle.Dispose(); // munmap; the accessor sees a closed view and skips its flush
        _view.Dispose();
        _file.Dispose();
    }

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writeback, do not wait.

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long nbytes, uint flags);

    [LibraryImport("libc", EntryPoint = "msync", SetLastError = true)]
    private static partial int Msync(nint address, nuint length, int flags);
}

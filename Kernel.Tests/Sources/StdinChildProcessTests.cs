using System.Diagnostics;
using System.Globalization;
using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Kernel.Tests.Infrastructure;

namespace Kernel.Tests.Sources;

/// <summary>
/// <c>StreamSource.FromStandardInput</c> in a real child process (the built Kernel.Tests.Host,
/// scenario <c>stdin-source</c>) with CSV piped into its standard input: every record arrives in
/// order, the end of input ends the run, and a blocked target stops the child reading its stdin,
/// so the writer (this test) is held back by the pipe instead of the child buffering everything.
/// </summary>
public sealed class StdinChildProcessTests
{
    private const int ReadBuffer = 4096;
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(2);

    /// <summary>The input: lines <c>i,v(i)</c> for i in [0, rows), every 10th with CRLF, an empty line after every 1000th, the last without a terminator.</summary>
    private static (byte[] Bytes, long IdSum, long ValueSum) Input(int rows)
    {
        var sb = new StringBuilder();
        long idSum = 0, valueSum = 0;
        for (var i = 0; i < rows; i++)
        {
            var value = (i * 7919L) % 100_003;
            sb.Append(CultureInfo.InvariantCulture, $"{i},{value}");
            idSum += i;
            valueSum += value;
            if (i == rows - 1) break;
            sb.Append(i % 10 == 0 ? "\r\n" : "\n");
            if (i % 1000 == 999) sb.Append('\n');
        }
        return (Encoding.ASCII.GetBytes(sb.ToString()), idSum, valueSum);
    }

    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(ChildProcess.HostDll);
        psi.ArgumentList.Add("stdin-source");
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + ChildProcess.HostDll);
    }

    private static async Task<string> ReadLineAsync(Process p, CancellationToken ct) =>
        await p.StandardOutput.ReadLineAsync(ct) ?? throw new InvalidOperationException("the child ended early: " + await p.StandardError.ReadToEndAsync(ct));

    private static Dictionary<string, string> Fields(string doneLine)
    {
        Assert.StartsWith("done ", doneLine, StringComparison.Ordinal);
        return doneLine[5..].Split(' ').Select(f => f.Split('=')).ToDictionary(kv => kv[0], kv => kv[1], StringComparer.Ordinal);
    }

    private static async Task WriteAllAsync(Process p, byte[] bytes, Action<long> progress)
    {
        var stdin = p.StandardInput.BaseStream;
        for (var at = 0; at < bytes.Length; at += 16 * 1024)
        {
            var n = Math.Min(16 * 1024, bytes.Length - at);
            await stdin.WriteAsync(bytes.AsMemory(at, n));
            await stdin.FlushAsync();
            progress(at + n);
        }
        p.StandardInput.Close(); // end of input
    }

    [Fact]
    public async Task PipedCsv_EveryRecordArrivesInOrder_AndEndOfInputEndsTheRun()
    {
        const int rows = 200_000;
        var (bytes, idSum, valueSum) = Input(rows);
        using var cts = new CancellationTokenSource(s_timeout);
        using var p = Start(ReadBuffer.ToString(CultureInfo.InvariantCulture));
        try
        {
            var writing = WriteAllAsync(p, bytes, _ => { });
            var done = Fields(await ReadLineAsync(p, cts.Token));
            await writing;
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(rows.ToString(CultureInfo.InvariantCulture), done["records"]);
            Assert.Equal(idSum.ToString(CultureInfo.InvariantCulture), done["idsum"]);
            Assert.Equal(valueSum.ToString(CultureInfo.InvariantCulture), done["valuesum"]);
            Assert.Equal("True", done["inorder"]);
            Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), done["position"]);
            Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), done["bytes"]);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    private static SafeHandle PipeHandle(Stream stdin) => stdin switch
    {
        PipeStream pipe => pipe.SafePipeHandle,
        FileStream file => file.SafeFileHandle,
        _ => throw new InvalidOperationException("the child's stdin is a " + stdin.GetType().Name + ", not a pipe"),
    };

    [Fact]
    public async Task BlockedTarget_StopsReadingStdin_SoTheWriterIsHeldBack()
    {
        const int rows = 400_000; // several MiB: far more than a pipe and the source's buffers hold
        var (bytes, idSum, _) = Input(rows);
        var gate = Path.Combine(Path.GetTempPath(), "kernel-stdin-gate-" + Guid.NewGuid().ToString("N"));
        using var cts = new CancellationTokenSource(s_timeout);
        using var p = Start(ReadBuffer.ToString(CultureInfo.InvariantCulture), gate);
        long written = 0;
        try
        {
            var writing = WriteAllAsync(p, bytes, n => Volatile.Write(ref written, n));
            var blocked = await ReadLineAsync(p, cts.Token);
            Assert.StartsWith("blocked ", blocked, StringComparison.Ordinal);
            var framedAtBlock = long.Parse(blocked["blocked ".Length..], CultureInfo.InvariantCulture);
            // While the child's target is blocked it reads nothing more, so the pipe fills: wait for that
            // (a condition, not a time). Full, the child has had input waiting and took none of it. A child
            // buffering without bound would drain it and let the writer finish instead.
            var pipe = PipeHandle(p.StandardInput.BaseStream);
            var capacity = LinuxPipe.Capacity(pipe);
            Assert.True(capacity > 0, $"F_GETPIPE_SZ failed: {capacity}");
            var full = capacity - Environment.SystemPageSize;   // the first page may be partly read already
            Assert.True(SpinWait.SpinUntil(() => writing.IsCompleted || LinuxPipe.Queued(pipe) >= full, s_timeout), "the pipe never filled");
            Assert.False(writing.IsCompleted, "the whole input was taken while the target was blocked");
            // Every chunk written is read by the child or in the pipe; the child took at most a read buffer
            // and a record past what it framed before blocking.
            var writtenWhileBlocked = Volatile.Read(ref written);
            Assert.InRange(writtenWhileBlocked, 0, framedAtBlock + 2 * ReadBuffer + capacity);
            File.WriteAllBytes(gate, []);
            var released = await ReadLineAsync(p, cts.Token);
            Assert.StartsWith("released ", released, StringComparison.Ordinal);
            Assert.Equal(blocked["blocked ".Length..], released["released ".Length..]); // not one read while blocked
            var done = Fields(await ReadLineAsync(p, cts.Token));
            await writing;
            await p.WaitForExitAsync(cts.Token);
            Assert.Equal(0, p.ExitCode);
            Assert.Equal(rows.ToString(CultureInfo.InvariantCulture), done["records"]);
            Assert.Equal(idSum.ToString(CultureInfo.InvariantCulture), done["idsum"]);
            Assert.Equal("True", done["inorder"]);
            Assert.Equal(bytes.Length.ToString(CultureInfo.InvariantCulture), done["position"]);
            Assert.InRange(long.Parse(done["maxunconsumed"], CultureInfo.InvariantCulture), 0, 2 * ReadBuffer);
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
            File.Delete(gate);
        }
    }
}

/// <summary>Queries on a Linux pipe: its capacity and the bytes queued in it (either end).</summary>
internal static partial class LinuxPipe
{
    private const int GetPipeSize = 1032;     // F_GETPIPE_SZ
    private const nuint BytesQueued = 0x541B; // FIONREAD

    /// <summary>The pipe's capacity in bytes, or -1.</summary>
    public static int Capacity(SafeHandle pipe) => Fcntl(pipe, GetPipeSize, 0);

    /// <summary>The bytes written to the pipe and not yet read, or -1.</summary>
    public static int Queued(SafeHandle pipe) => Ioctl(pipe, BytesQueued, out var n) == 0 ? n : -1;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeHandle fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "ioctl", SetLastError = true)]
    private static partial int Ioctl(SafeHandle fd, nuint request, out int value);
}

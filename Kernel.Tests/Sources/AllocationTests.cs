using System.Text;
using Kernel.Sources;
using Kernel.Tests.Infrastructure;
using Kernel.Tests.Sources.Support;

namespace Kernel.Tests.Sources;

public sealed class AllocationTests
{
    private static byte[] Csv(int rows)
    {
        var sb = new StringBuilder("id,qty,price\n");
        for (var i = 1; i <= rows; i++) sb.Append(i).Append(',').Append(i % 9).Append(',').Append(i * 31L).Append('\n');
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    private static long AllocatedByRun(byte[] csv)
    {
        // A memory stream and a synchronous target: the whole run completes on this thread, so the
        // thread's allocation counter sees all of it (pipe reads, framing, parsing, publishing).
        // Each attempt runs a fresh source built outside the measured window (see Allocations).
        StreamSource<Row, RowParser>? source = null;
        CountingTarget<Row>? target = null;
        Task? run = null;
        var allocated = Allocations.SteadyState(
            prepare: () =>
            {
                source = new StreamSource<Row, RowParser>(new MemoryStream(csv), "memory", new SourceOptions { HasHeader = true });
                target = new CountingTarget<Row>();
            },
            body: () => run = source!.RunAsync(target!));
        Assert.True(run!.IsCompletedSuccessfully, "the run did not complete synchronously");
        Assert.Equal(csv.Length, target!.LastPosition);
        return allocated;
    }

    [Fact]
    public void StreamRun_ExtraRecordsAllocateNothing()
    {
        var small = Csv(20_000);
        var large = Csv(220_000);
        AllocatedByRun(small);
        AllocatedByRun(large);
        var fixedCost = AllocatedByRun(small);
        var total = AllocatedByRun(large);
        // 200,000 more records (about 3 MB more input, ~50 more reads) cost no more bytes: the
        // fixed cost of a run (batch arrays, scratch, pipe) is all there is.
        Assert.True(total - fixedCost <= 256, $"200,000 extra records allocated {total - fixedCost} bytes (run: {total}, fixed: {fixedCost})");
    }

    [Fact]
    public void ARunAfterTheFirst_AllocatesNoReadBuffersOrBatches()
    {
        // 1 MiB reads (as the ingest-csv benchmark uses), a 64 KiB scratch for straddling records,
        // 1024-event batches: over 1.1 MB a run would allocate if the buffers were not handed back
        // to the shared pools at the end of the previous run.
        var csv = Csv(50_000);
        var options = new SourceOptions { HasHeader = true, ReadBufferSize = 1 << 20 };
        StreamSource<Row, RowParser>? source = null;
        CountingTarget<Row>? target = null;
        Task? run = null;
        void Prepare()
        {
            source = new StreamSource<Row, RowParser>(new MemoryStream(csv), "memory", options);
            target = new CountingTarget<Row>();
        }
        Prepare();
        Assert.True(source!.RunAsync(target!).IsCompletedSuccessfully, "the first run (which rents the buffers) did not complete synchronously");
        var allocated = Allocations.SteadyState(Prepare, () => run = source!.RunAsync(target!));
        Assert.True(run!.IsCompletedSuccessfully, "the run did not complete synchronously");
        Assert.Equal(50_000, target!.Count);
        // What is left is the run's own objects (pipe reader, pool, loop, state machines): a few KB.
        Assert.True(allocated < 16 * 1024, $"a run allocated {allocated} bytes");
    }

    [Fact]
    public async Task FileRun_FramingAndParsingAllocateNothing()
    {
        using var file = new TempFile("alloc.csv", Csv(200_000));
        var warm = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true });
        await warm.RunAsync(new CountingTarget<Row>()).WaitAsync(SourceRun.Timeout);

        // Framing and parsing are measured around every pass over a read buffer, on the thread
        // that ran it (file reads complete on pool threads, so a whole-run count would not do).
        // The least figure of up to five fresh runs (stopping at zero): a one-off jump of the
        // per-thread counter under a loaded parallel run (see Allocations) lands in one run, a
        // per-record allocation in every one.
        var least = long.MaxValue;
        for (var attempt = 0; attempt < 5 && least > 0; attempt++)
        {
            var source = new FileSource<Row, RowParser>(file.FilePath, new SourceOptions { HasHeader = true });
            var target = new CountingTarget<Row>();
            await source.RunAsync(target).WaitAsync(SourceRun.Timeout);
            Assert.Equal(200_000, target.Count);
            least = Math.Min(least, source.FramingAllocatedBytes);
        }
        Assert.Equal(0, least);
    }
}

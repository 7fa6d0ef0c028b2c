using System.Text;

namespace Kernel.Tests.Generators;

/// <summary>
/// docs/getting-started.md's declarations and programs, taken from the page as written, compiled with the
/// generator and run on a small file: an edit that breaks the walkthrough fails here.
/// </summary>
public sealed class GettingStartedTests : IDisposable
{
    private const string Page = "docs/getting-started.md";

    // The page's "Given" file and "it prints" output, derived by hand: order 3 is unpaid and filtered out, so product 7
    // has orders 1 (2 × 250) and 4 (3 × 100): 800 cents, prices 100 and 250 (average 175); order 4 is the earliest in
    // event time (09:00), order 1 the latest (10:00). Product 9 has order 2 alone.
    private const string Input =
        "order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n" +
        "1,7,3,250,2,2028-02-29T10:00:00Z\n" +
        "2,9,3,1000,1,2028-02-29T10:05:00Z\n" +
        "3,7,4,0,5,2028-02-29T10:06:00Z\n" +
        "4,7,5,100,3,2028-02-29T09:00:00Z\n";

    private const string Header = "product_id,revenue_cents,orders,cheapest,dearest,avg_price,first_order,last_order";
    private static readonly string[] s_rows = ["7,800,2,100,250,175,4,1", "9,1000,1,1000,1000,1000,2,2"];

    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-getting-started-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Page_GivenAndPrintsBlocks_AreTheHandDerivedOnes()
    {
        var plain = MarkdownProgram.Blocks(MarkdownProgram.ReadPage(Page)).Where(b => b.Info.Length == 0).Select(b => b.Text).ToList();
        Assert.Contains(Input, plain);
        Assert.Contains(Header + "\n" + string.Join("\n", s_rows) + "\n", plain);
    }

    [Fact]
    public async Task WithoutTheRuntime_PrintsTheDocumentedRows()
    {
        var output = await RunAsync(program => program.Contains("Utf8LineReader", StringComparison.Ordinal), Input);

        AssertCsvRows(Encoding.UTF8.GetString(output.Bytes));
        Assert.Empty(output.Lines);
    }

    [Fact]
    public async Task ThroughAFileSource_PrintsTheSameRows()
    {
        var output = await RunAsync(program => program.Contains("new KeyedAggregator<", StringComparison.Ordinal), Input);

        AssertCsvRows(Encoding.UTF8.GetString(output.Bytes));
    }

    [Fact]
    public async Task HelloRevenue_PrintsOneRowPerDayAndProduct()
    {
        var output = await RunAsync(program => program.Contains("new StreamKernel<Order>()", StringComparison.Ordinal),
            "order_id,product_id,customer_id,price_cents,quantity,timestamp_ms\n" +
            "1,7,3,250,2,2028-02-29T10:00:00.000Z\n" +
            "2,9,3,1000,1,2028-02-29T10:05:00.000Z\n" +
            "3,7,4,0,5,2028-02-29T10:06:00.000Z\n" +
            "4,7,5,100,3,2028-02-29T09:00:00.000Z\n" +
            "5,7,1,200,1,2028-03-01T00:30:00.000Z\n");

        // The same program as README's, so the same hand-derived rows (DailyRevenue has no [Where]: order 3 counts).
        Runtime.HelloRevenueTests.AssertRows(output.Lines);
        Assert.Empty(output.Bytes);
    }

    /// <summary>Runs the page's one program that <paramref name="which"/> picks, with the page's declarations, on <paramref name="input"/>.</summary>
    private async Task<(List<string> Lines, byte[] Bytes)> RunAsync(Predicate<string> which, string input)
    {
        var csharp = MarkdownProgram.Blocks(MarkdownProgram.ReadPage(Page)).Where(b => b.Info == "csharp").Select(b => b.Text).ToList();
        // The declarations are the blocks of sections 1 and 2 (Order, RevenueByProduct, DailyRevenue), one file as a reader would paste them.
        var declarations = csharp.Where(b => b.Contains("[StreamEvent]", StringComparison.Ordinal) || b.Contains("[Aggregation(", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, declarations.Count);
        var program = Assert.Single(csharp, which);
        var path = Path.Combine(_dir, "orders.csv");
        await File.WriteAllTextAsync(path, input);
        return await MarkdownProgram.RunAsync(program, path, string.Concat(declarations));
    }

    /// <summary>The header, then the two rows in either order (the page's programs walk a hash table).</summary>
    private static void AssertCsvRows(string csv)
    {
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Header, lines[0]);
        Assert.Equal(s_rows, lines.Skip(1).Order(StringComparer.Ordinal));
    }
}

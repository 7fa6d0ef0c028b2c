namespace Kernel.Tests.Generators;

/// <summary>
/// README's declaration and its "Hello revenue" program, taken from README.md as written, compiled with the
/// generator into a program and run (<see cref="MarkdownProgram"/>): the code users copy first must build and
/// print the right rows. (<c>HelloRevenueTests</c> runs the same program against the test project's declarations.)
/// </summary>
public sealed class ReadmeProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ReadmeDeclarationAndHelloRevenue_CompileAndPrintTheRows()
    {
        var blocks = MarkdownProgram.Blocks(MarkdownProgram.ReadPage("README.md")).Where(b => b.Info == "csharp").Select(b => b.Text).ToList();
        Assert.True(blocks.Count >= 2, "README.md has fewer than two csharp blocks");
        var declaration = blocks[0];
        var program = blocks[1];
        Assert.Contains("partial struct DailyRevenue", declaration, StringComparison.Ordinal);
        Assert.Contains("new StreamKernel<Order>()", program, StringComparison.Ordinal);
        Assert.Contains("Console.WriteLine(", program, StringComparison.Ordinal);

        // The one thing a test must choose: where orders.csv is.
        var orders = Path.Combine(_dir, "orders.csv");
        File.WriteAllText(orders,
            "order_id,product_id,customer_id,price_cents,quantity,event_time\n" +
            "1,7,3,250,2,2028-02-29T10:00:00.000Z\n" +
            "2,9,3,1000,1,2028-02-29T10:05:00.000Z\n" +
            "3,7,4,0,5,2028-02-29T10:06:00.000Z\n" +
            "4,7,5,100,3,2028-02-29T09:00:00.000Z\n" +
            "5,7,1,200,1,2028-03-01T00:30:00.000Z\n");
        var (lines, _) = await MarkdownProgram.RunAsync(program, orders, declaration);

        // Hand-derived: 29 Feb holds orders 1, 3, 4 of product 7 (2 × 250 + 5 × 0 + 3 × 100 cents; order 3 is
        // free, but README's declaration has no [Where], so it counts) and order 2 of product 9; order 5 is
        // on 1 March. Rows come out in window order, keys in no set order.
        Kernel.Tests.Runtime.HelloRevenueTests.AssertRows(lines);
    }
}

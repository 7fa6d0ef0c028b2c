using System.Reflection;
using System.Runtime.Loader;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernel.Tests.Generators;

/// <summary>
/// README's declaration and its "Hello revenue" program, taken from README.md as written, compiled with the
/// generator into a program and run: the code users copy first must build and print the right rows.
/// (<c>HelloRevenueTests</c> runs the same program against the test project's declarations.)
/// </summary>
public sealed partial class ReadmeProgramTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kernel-readme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [GeneratedRegex("```csharp\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [Fact]
    public async Task ReadmeDeclarationAndHelloRevenue_CompileAndPrintTheRows()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var blocks = CSharpBlock().Matches(readme).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 2, "README.md has fewer than two csharp blocks");
        var declaration = blocks[0];
        var program = blocks[1];
        Assert.Contains("partial struct DailyRevenue", declaration, StringComparison.Ordinal);
        Assert.Contains("new StreamKernel<Order>()", program, StringComparison.Ordinal);

        // The two things a test must choose: where orders.csv is, and where the lines go.
        var orders = Path.Combine(_dir, "orders.csv");
        File.WriteAllText(orders,
            "order_id,product_id,customer_id,price_cents,quantity,event_time\n" +
            "1,7,3,250,2,2028-02-29T10:00:00.000Z\n" +
            "2,9,3,1000,1,2028-02-29T10:05:00.000Z\n" +
            "3,7,4,0,5,2028-02-29T10:06:00.000Z\n" +
            "4,7,5,100,3,2028-02-29T09:00:00.000Z\n" +
            "5,7,1,200,1,2028-03-01T00:30:00.000Z\n");
        Assert.Contains("\"orders.csv\"", program, StringComparison.Ordinal);
        Assert.Contains("Console.WriteLine(", program, StringComparison.Ordinal);
        program = program.Replace("\"orders.csv\"", SymbolDisplay.FormatLiteral(orders, quote: true), StringComparison.Ordinal)
            .Replace("Console.WriteLine(", "ReadmeOutput.Lines.Add(", StringComparison.Ordinal);
        const string OutputType = "public static class ReadmeOutput { public static readonly System.Collections.Generic.List<string> Lines = new(); }\n";
        // What `dotnet new console` projects have (ImplicitUsings): README's program leans on them.
        const string ImplicitUsings = "global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\n"
            + "global using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n";

        var compilation = GeneratorHarness.Compile(program, declaration, OutputType, ImplicitUsings)
            .AddReferences(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILoggerFactory).Assembly.Location))
            .WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext("readme-program", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            var result = assembly.EntryPoint!.Invoke(null, [Array.Empty<string>()]);
            if (result is Task task) await task.WaitAsync(TimeSpan.FromSeconds(60));
            var lines = (List<string>)assembly.GetType("ReadmeOutput")!.GetField("Lines", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

            // Hand-derived: 29 Feb holds orders 1, 3, 4 of product 7 (2 × 250 + 5 × 0 + 3 × 100 cents; order 3 is
            // free, but README's declaration has no [Where], so it counts) and order 2 of product 9; order 5 is
            // on 1 March. Rows come out in window order, keys in no set order.
            Kernel.Tests.Runtime.HelloRevenueTests.AssertRows(lines);
        }
        finally
        {
            context.Unload();
        }
    }
}

using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Kernel.Tests.Generators;

/// <summary>
/// Code blocks taken from a Markdown page as written, and a program made of them compiled with the
/// generator and run in memory: what it printed through <c>Console.WriteLine</c> (as lines) and
/// through <c>Console.OpenStandardOutput()</c> (as bytes).
/// </summary>
internal static class MarkdownProgram
{
    /// <summary>What <c>dotnet new console</c> projects have (ImplicitUsings): the documented programs lean on them.</summary>
    private const string ImplicitUsings = "global using System;\nglobal using System.Collections.Generic;\nglobal using System.IO;\nglobal using System.Linq;\n"
        + "global using System.Net.Http;\nglobal using System.Threading;\nglobal using System.Threading.Tasks;\n";

    private const string OutputType =
        "public static class MarkdownOutput { public static readonly System.Collections.Generic.List<string> Lines = new(); public static readonly System.IO.MemoryStream Bytes = new(); }\n";

    /// <summary>The fenced blocks of <paramref name="markdown"/> in order, each with its info string (<c>csharp</c>, or empty).</summary>
    public static List<(string Info, string Text)> Blocks(string markdown)
    {
        var blocks = new List<(string, string)>();
        string? info = null;
        var text = new System.Text.StringBuilder();
        foreach (var line in markdown.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (info is null && line.StartsWith("```", StringComparison.Ordinal))
            {
                info = line[3..].Trim();
                text.Clear();
            }
            else if (info is not null && line.StartsWith("```", StringComparison.Ordinal))
            {
                blocks.Add((info, text.ToString()));
                info = null;
            }
            else if (info is not null)
            {
                text.Append(line).Append('\n');
            }
        }
        Assert.True(info is null, "a fenced block is not closed");
        return blocks;
    }

    /// <summary>Reads a page of the repository (docs/…, README.md).</summary>
    public static string ReadPage(string relativePath) => File.ReadAllText(Path.Combine(RepoPaths.Root, relativePath));

    /// <summary>
    /// Compiles <paramref name="program"/> (top-level statements reading <paramref name="inputFile"/> where it says
    /// <c>"orders.csv"</c>) with <paramref name="declarations"/> and the generator, runs it, and returns what it printed.
    /// </summary>
    public static async Task<(List<string> Lines, byte[] Bytes)> RunAsync(string program, string inputFile, params string[] declarations)
    {
        Assert.Contains("\"orders.csv\"", program, StringComparison.Ordinal);
        program = program.Replace("\"orders.csv\"", SymbolDisplay.FormatLiteral(inputFile, quote: true), StringComparison.Ordinal)
            .Replace("Console.WriteLine(", "MarkdownOutput.Lines.Add(", StringComparison.Ordinal)
            .Replace("Console.OpenStandardOutput()", "MarkdownOutput.Bytes", StringComparison.Ordinal);

        var compilation = GeneratorHarness.Compile([program, .. declarations, OutputType, ImplicitUsings])
            .AddReferences(MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Logging.ILoggerFactory).Assembly.Location))
            .WithOptions(new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        GeneratorHarness.CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        using var image = new MemoryStream();
        var emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));

        var context = new AssemblyLoadContext("markdown-program", isCollectible: true);
        try
        {
            image.Position = 0;
            var assembly = context.LoadFromStream(image);
            var result = assembly.EntryPoint!.Invoke(null, [Array.Empty<string>()]);
            if (result is Task task) await task.WaitAsync(TimeSpan.FromSeconds(60));
            var type = assembly.GetType("MarkdownOutput")!;
            var lines = (List<string>)type.GetField("Lines", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var bytes = (MemoryStream)type.GetField("Bytes", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            return ([.. lines], bytes.ToArray());
        }
        finally
        {
            context.Unload();
        }
    }
}

using Microsoft.CodeAnalysis;

namespace Kernel.Generators;

/// <summary>
/// The incremental pipeline that turns <c>[Aggregation]</c> declarations into fused operators.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class KernelGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
    }
}

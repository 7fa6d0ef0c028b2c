namespace Kernel.Generators.Model;

/// <summary>A declared top-level type: namespace (empty for the global one), name and <c>global::</c> name.</summary>
internal sealed record TypeRef(string Namespace, string Name, string FullName, bool IsRecord)
{
    /// <summary>The namespace-qualified name without <c>global::</c> (names the hint file and the state).</summary>
    public string MetadataName => Namespace.Length == 0 ? Name : Namespace + "." + Name;

    /// <summary>The declaration keyword(s) for a partial re-declaration.</summary>
    public string Keyword => IsRecord ? "record struct" : "struct";
}

using Microsoft.CodeAnalysis;

namespace Kernel.Generators.Model;

/// <summary>A diagnostic to report, as values: the descriptor id, where, and the message arguments.</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        => new(descriptor.Id, LocationInfo.From(location), new EquatableArray<string>(arguments));

    public Diagnostic ToDiagnostic()
    {
        var args = new object[Arguments.Count];
        for (var i = 0; i < args.Length; i++) args[i] = Arguments[i];
        return Diagnostic.Create(DiagnosticDescriptors.ById(Id), Location?.ToLocation(), args);
    }
}

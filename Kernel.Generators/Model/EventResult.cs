namespace Kernel.Generators.Model;

/// <summary>The parse of one <c>[StreamEvent]</c>: the codec to emit (null when it cannot be) and diagnostics.</summary>
internal sealed record EventResult(CodecModel? Codec, EquatableArray<DiagnosticInfo> Diagnostics);

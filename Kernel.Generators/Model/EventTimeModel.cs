namespace Kernel.Generators.Model;

/// <summary>How to read an input's event time: the member and its kind (Int64, DateTime or DateTimeOffset).</summary>
internal sealed record EventTimeModel(string Member, ValueKind Kind);

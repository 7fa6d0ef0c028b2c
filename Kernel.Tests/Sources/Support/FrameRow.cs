namespace Kernel.Tests.Sources.Support;

/// <summary>The event of the binary-frame tests: a payload's length and byte sum.</summary>
public readonly record struct FrameRow(int Length, long Sum);

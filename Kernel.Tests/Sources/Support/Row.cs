namespace Kernel.Tests.Sources.Support;

/// <summary>The event of the 3-column test CSV <c>id,qty,price</c>.</summary>
public readonly record struct Row(long Id, long Qty, long Price);

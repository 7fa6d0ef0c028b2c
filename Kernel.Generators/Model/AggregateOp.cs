namespace Kernel.Generators.Model;

/// <summary>The aggregate functions; the numbers match the runtime's <c>Kernel.AggregateKind</c> where they overlap.</summary>
internal enum AggregateOp
{
    Sum = 1,
    Count = 2,
    Min = 3,
    Max = 4,
    Avg = 5,
    First = 7,
    Last = 9,
    DistinctCount = 11,
    Sample = 12,
    TopK = 13,
}

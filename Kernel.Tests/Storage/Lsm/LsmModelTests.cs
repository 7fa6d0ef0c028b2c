using Kernel.Storage.Lsm;

namespace Kernel.Tests.Storage.Lsm;

/// <summary>
/// Drives the store and a <see cref="SortedDictionary{TKey,TValue}"/> model with the same random
/// operations and compares every read. Each failure message starts with the seed and the step.
/// </summary>
public sealed class LsmModelTests
{
    [Theory]
    [InlineData(1, 1500)]
    [InlineData(2, 1500)]
    [InlineData(3, 1500)]
    public void RandomOperations_MatchSortedDictionaryModel(int seed, int steps) => new ModelRun(seed, steps).Run();

    [Theory]
    [Trait("Category", "Soak")]
    [InlineData(101, 40_000)]
    [InlineData(102, 40_000)]
    public void RandomOperations_MatchModel_Soak(int seed, int steps) => new ModelRun(seed, steps).Run();
}

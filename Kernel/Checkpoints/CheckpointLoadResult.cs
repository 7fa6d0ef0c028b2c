namespace Kernel.Checkpoints;

/// <summary>What <see cref="CheckpointStore.LoadNewestComplete"/> found.</summary>
/// <param name="Manifest">The newest checkpoint whose manifest is present and valid, or null to start from the beginning.</param>
/// <param name="Diagnostics">
/// One message per newer checkpoint that was skipped (incomplete or corrupt) and why, ending with
/// the one that was chosen; empty when the newest checkpoint was usable. The same messages go to the store's logger.
/// </param>
public sealed record CheckpointLoadResult(CheckpointManifest? Manifest, IReadOnlyList<string> Diagnostics)
{
    /// <summary>Whether a newer checkpoint had to be skipped to find <see cref="Manifest"/>.</summary>
    public bool FellBack => Diagnostics.Count > 0;
}

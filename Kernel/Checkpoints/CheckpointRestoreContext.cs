namespace Kernel.Checkpoints;

/// <summary>The checkpoint a participant restores from.</summary>
/// <param name="Manifest">The checkpoint's manifest.</param>
/// <param name="Directory">The checkpoint's directory, holding the state files participants wrote.</param>
public sealed record CheckpointRestoreContext(CheckpointManifest Manifest, string Directory)
{
    /// <summary>The path of a state file a participant wrote through <see cref="CheckpointContext.GetStatePath"/>.</summary>
    public string GetStatePath(string fileName) => CheckpointContext.Combine(Directory, fileName);
}

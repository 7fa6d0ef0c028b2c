using Kernel.Operators;

namespace Kernel.Checkpoints;

/// <summary>
/// A snapshot operator whose state a savepoint can carry to another build: it describes its state
/// layout and restores a snapshot written under an older layout through a <see cref="StateMigration"/>.
/// </summary>
public interface IMigratableSnapshotOperator : ISnapshotOperator
{
    /// <summary>The state layout with offsets, or null when the spec carries no generated schema.</summary>
    StateLayout? Layout { get; }

    /// <summary>Restores a snapshot written under the layout <paramref name="migration"/> starts from (null: this build's).</summary>
    /// <exception cref="InvalidDataException">The bytes are damaged or do not match the migration.</exception>
    void RestoreSnapshot(ReadOnlySpan<byte> snapshot, StateMigration? migration);
}

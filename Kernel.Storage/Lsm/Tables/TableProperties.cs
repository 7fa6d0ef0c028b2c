namespace Kernel.Storage.Lsm.Tables;

/// <summary>What a finished table holds: the manifest records it per file.</summary>
internal sealed record TableProperties(
    ulong FileNumber, long FileBytes, long EntryCount, byte[] SmallestKey, byte[] LargestKey,
    ulong MinSequence, ulong MaxSequence);

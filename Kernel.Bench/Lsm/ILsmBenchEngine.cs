namespace Kernel.Bench.Lsm;

/// <summary>One engine under the quick suite (ours or a peer). Called per operation, through an interface, for every engine alike.</summary>
public interface ILsmBenchEngine : IDisposable
{
    /// <summary>The baseline name in the report.</summary>
    string Name { get; }

    /// <summary>Writes key <paramref name="i"/> of <paramref name="keys"/> with its value.</summary>
    void Put(byte[] keys, int i);

    /// <summary>Reads key <paramref name="i"/>; true when found.</summary>
    bool Get(byte[] keys, int i);

    /// <summary>Counts the keys under the 8-byte prefix of sequential key group <paramref name="group"/>.</summary>
    long ScanPrefix(ulong group);

    /// <summary>Makes the data durable and compacts it (untimed set-up before reads).</summary>
    void FlushAndCompact();

    /// <summary>Closes and opens again; returns after the first read.</summary>
    void Reopen(byte[] keys);
}
